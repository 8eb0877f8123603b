/*
 * keyring.c - the encryption keys, read from the file named by
 * dbx_oauth.key_file and reread whenever that file changes
 *
 * File format: one key per line, "<version>:<64 hex characters>", with
 * blank lines and lines starting with '#' ignored.  Versions run from 1 to
 * 2147483647 and appear once.  The file must be a regular file of at most
 * 64 kB outside the data directory, with no group or other permissions.
 *
 * Sealing stats the file every time; opening does if nothing did in the
 * last second, and again when the key it needs is missing or does not open.
 * When the file's identity, size or times changed it is read again whole,
 * so adding a line takes effect without a restart.
 * The master keys never stay in memory: only the derived encryption and
 * authentication keys are kept, in a context of their own that is wiped
 * before it is freed.
 */
#include "postgres.h"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#include "errors.h"
#include "keyring.h"
#include "settings.h"

typedef struct Keyring
{
	MemoryContext context;
	char	   *path;
	struct stat identity;		/* what the file looked like when read */
	int			nkeys;
	DbxKey	   *keys;			/* ascending by version */
} Keyring;

/* A key as parsed, before derivation; wiped once derived. */
typedef struct ParsedKey
{
	int32		version;
	int			line;
	uint8		master[DBX_KEY_BYTES];
} ParsedKey;

#define KEY_FILE_MAX_BYTES (64 * 1024)

static Keyring *current = NULL;

/* Whether the file still is what was read into "ring". */
static bool
same_file(const Keyring *ring, const char *path, const struct stat *st)
{
	const struct stat *old = &ring->identity;

	return strcmp(ring->path, path) == 0 &&
		old->st_dev == st->st_dev && old->st_ino == st->st_ino &&
		old->st_size == st->st_size && old->st_mode == st->st_mode &&
		old->st_mtim.tv_sec == st->st_mtim.tv_sec &&
		old->st_mtim.tv_nsec == st->st_mtim.tv_nsec &&
		old->st_ctim.tv_sec == st->st_ctim.tv_sec &&
		old->st_ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/* Raise DS_ENCRYPTION_KEY_FILE_UNREADABLE for the errno of a failed call. */
static void
raise_unreadable(const char *path, const char *what)
{
	dbx_raise_with_log_detail(psprintf("could not %s key file \"%s\": %m", what, path),
							  DBX_ERR_KEY_FILE_UNREADABLE);
}

/* Refuse anything but a regular file (a FIFO, say, would block open()). */
static void
check_regular_file(const char *path, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		dbx_raise_with_log_detail(psprintf("key file \"%s\" is not a regular file", path),
								  DBX_ERR_KEY_FILE_INSECURE);
}

/*
 * Refuse a key file others can read, or one inside the data directory, or
 * one with other names (a hard link in the data directory would be in its
 * base backups).
 */
static void
check_protection(const char *path, const struct stat *st)
{
	char		real_file[PATH_MAX];
	char		real_datadir[PATH_MAX];

	check_regular_file(path, st);
	if ((st->st_mode & (S_IRWXG | S_IRWXO)) != 0)
		dbx_raise_with_log_detail(psprintf("key file \"%s\" has permissions %04o; it must allow no group or other access",
										   path, (unsigned int) (st->st_mode & 07777)),
								  DBX_ERR_KEY_FILE_INSECURE);
	if (st->st_nlink != 1)
		dbx_raise_with_log_detail(psprintf("key file \"%s\" has %lu hard links; it must have one name only",
										   path, (unsigned long) st->st_nlink),
								  DBX_ERR_KEY_FILE_INSECURE);
	if (realpath(path, real_file) == NULL)
		raise_unreadable(path, "resolve");
	if (DataDir != NULL && realpath(DataDir, real_datadir) != NULL &&
		path_is_prefix_of_path(real_datadir, real_file))
		dbx_raise_with_log_detail(psprintf("key file \"%s\" is inside the data directory", path),
								  DBX_ERR_KEY_FILE_INSECURE);
}

/* The value of one hexadecimal digit, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse one "<version>:<64 hex>" line (already trimmed) into key. */
static bool
parse_key_line(const char *line, size_t len, ParsedKey *key)
{
	const char *colon = memchr(line, ':', len);
	int64		version = 0;
	const char *hex;

	if (colon == NULL || colon == line || colon - line > 10)
		return false;
	for (const char *p = line; p < colon; p++)
	{
		if (*p < '0' || *p > '9')
			return false;
		version = version * 10 + (*p - '0');
	}
	if (version < 1 || version > PG_INT32_MAX)
		return false;

	hex = colon + 1;
	if (line + len - hex != 2 * DBX_KEY_BYTES)
		return false;
	for (int i = 0; i < DBX_KEY_BYTES; i++)
	{
		int			hi = hex_value(hex[2 * i]);
		int			lo = hex_value(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		key->master[i] = (uint8) ((hi << 4) | lo);
	}
	key->version = (int32) version;
	return true;
}

/*
 * Parse the whole file (NUL-terminated) into keys, which has room for one key
 * per line.  Returns 0, or the number of the first bad line.
 */
static int
parse_key_file(char *text, ParsedKey *keys, int *nkeys)
{
	int			lineno = 0;
	char	   *line = text;

	*nkeys = 0;
	while (*line != '\0')
	{
		char	   *end = strchr(line, '\n');
		char	   *next = end ? end + 1 : line + strlen(line);
		char	   *last;

		lineno++;
		if (end == NULL)
			end = next;
		last = end;
		while (line < last && (*line == ' ' || *line == '\t'))
			line++;
		while (last > line && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\r'))
			last--;
		if (last > line && *line != '#')
		{
			ParsedKey  *key = &keys[*nkeys];

			if (!parse_key_line(line, last - line, key))
				return lineno;
			for (int i = 0; i < *nkeys; i++)
				if (keys[i].version == key->version)
					return lineno;
			key->line = lineno;
			(*nkeys)++;
		}
		line = next;
	}
	return 0;
}

/*
 * Read the whole key file into a NUL-terminated buffer; st receives its
 * identity.  A transient file is closed by transaction abort if we raise.
 */
static char *
read_key_file(const char *path, struct stat *st)
{
	int			fd;
	char	   *text;
	size_t		done = 0;

	/* Non-blocking, so that a FIFO swapped in after the check cannot hang us. */
	fd = OpenTransientFile(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		raise_unreadable(path, "open");
	if (fstat(fd, st) != 0)
		raise_unreadable(path, "stat");
	check_protection(path, st);
	if (st->st_size > KEY_FILE_MAX_BYTES)
		dbx_raise_with_log_detail(psprintf("key file \"%s\" has %lld bytes", path,
										   (long long) st->st_size),
								  DBX_ERR_KEY_FILE_TOO_LARGE);

	text = palloc(st->st_size + 1);
	while (done < (size_t) st->st_size)
	{
		ssize_t		n = read(fd, text + done, st->st_size - done);

		if (n <= 0)
		{
			explicit_bzero(text, done);
			if (n == 0)
				errno = EIO;
			raise_unreadable(path, "read");
		}
		done += n;
	}
	CloseTransientFile(fd);
	text[done] = '\0';
	/* A NUL would end the parse early and hide the lines after it. */
	if (strlen(text) != done)
	{
		int			line = 1;

		for (const char *p = text; *p; p++)
			line += (*p == '\n');
		explicit_bzero(text, done);
		dbx_raise_with_log_detail(psprintf("key file \"%s\" contains a NUL byte", path),
								  DBX_ERR_KEY_FILE_INVALID, psprintf("%d", line));
	}
	return text;
}

/* Order keys by ascending version. */
static int
compare_versions(const void *a, const void *b)
{
	int32		va = ((const DbxKey *) a)->version;
	int32		vb = ((const DbxKey *) b)->version;

	return (va > vb) - (va < vb);
}

/* Read the key file at path and make it the current keyring. */
static void
load_keyring(const char *path)
{
	struct stat st;
	char	   *text = read_key_file(path, &st);
	int			max_keys = 1;
	ParsedKey  *parsed;
	int			nparsed;
	int			bad_line;
	MemoryContext context;
	Keyring    *ring;

	for (const char *p = text; *p; p++)
		max_keys += (*p == '\n');
	parsed = palloc0(sizeof(ParsedKey) * max_keys);
	bad_line = parse_key_file(text, parsed, &nparsed);
	explicit_bzero(text, st.st_size);
	pfree(text);
	if (bad_line != 0 || nparsed == 0)
	{
		explicit_bzero(parsed, sizeof(ParsedKey) * max_keys);
		if (bad_line != 0)
			dbx_raise_with_log_detail(psprintf("key file \"%s\", line %d", path, bad_line),
									  DBX_ERR_KEY_FILE_INVALID, psprintf("%d", bad_line));
		dbx_raise_with_log_detail(psprintf("key file \"%s\"", path), DBX_ERR_KEY_FILE_EMPTY);
	}

	context = AllocSetContextCreate(TopMemoryContext, "dbx_oauth keyring", ALLOCSET_SMALL_SIZES);
	ring = MemoryContextAllocZero(context, sizeof(Keyring));
	ring->context = context;
	ring->path = MemoryContextStrdup(context, path);
	ring->identity = st;
	ring->nkeys = nparsed;
	ring->keys = MemoryContextAllocZero(context, sizeof(DbxKey) * nparsed);
	for (int i = 0; i < nparsed; i++)
	{
		ring->keys[i].version = parsed[i].version;
		crypto_derive_key(parsed[i].master, &ring->keys[i]);
	}
	explicit_bzero(parsed, sizeof(ParsedKey) * max_keys);
	pfree(parsed);
	qsort(ring->keys, ring->nkeys, sizeof(DbxKey), compare_versions);

	if (current != NULL)
	{
		explicit_bzero(current->keys, sizeof(DbxKey) * current->nkeys);
		MemoryContextDelete(current->context);
	}
	current = ring;
}

#define KEY_FILE_CHECK_INTERVAL_MS 1000

/* Whether the key file was looked at less than a second ago (monotonic clock). */
static bool
looked_at_recently(bool now_looking)
{
	static int64 looked_at_ms = -KEY_FILE_CHECK_INTERVAL_MS;
	struct timespec ts;
	int64		now_ms;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now_ms = (int64) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now_looking)
		looked_at_ms = now_ms;
	return now_ms - looked_at_ms < KEY_FILE_CHECK_INTERVAL_MS;
}

/* Next time, look at the key file however recently it was looked at. */
static bool look_next_time = true;

/*
 * The keyring for the file dbx_oauth.key_file names now, read again if it
 * changed.  With "look", or when the last look is a second old, the file is
 * looked at (stat); else the keyring in memory answers.
 */
static const Keyring *
current_keyring(bool look)
{
	struct stat st;

	if (dbx_key_file == NULL || dbx_key_file[0] == '\0')
		dbx_raise(DBX_ERR_KEY_NOT_CONFIGURED);
	if (!look && !look_next_time && current != NULL && strcmp(current->path, dbx_key_file) == 0 &&
		looked_at_recently(false))
		return current;
	if (stat(dbx_key_file, &st) != 0)
		raise_unreadable(dbx_key_file, "stat");
	check_regular_file(dbx_key_file, &st);
	if (current == NULL || !same_file(current, dbx_key_file, &st))
		load_keyring(dbx_key_file);
	look_next_time = false;
	(void) looked_at_recently(true);
	return current;
}

const DbxKey *
keyring_newest(void)
{
	const Keyring *ring = current_keyring(true);

	return &ring->keys[ring->nkeys - 1];
}

void
keyring_recheck(void)
{
	look_next_time = true;
}

const DbxKey *
keyring_find(int32 version)
{
	const Keyring *ring = current_keyring(false);

	for (int i = 0; i < ring->nkeys; i++)
		if (ring->keys[i].version == version)
			return &ring->keys[i];
	return NULL;
}

bytea *
keyring_open(const bytea *sealed, const SealContext *context, int32 *version, SealedState *state)
{
	*version = 0;
	*state = SEALED_NOT_AUTHENTIC;
	if (!crypto_sealed_key_version(sealed, version))
		return NULL;
	for (int attempt = 0; attempt < 2; attempt++)
	{
		const DbxKey *key = keyring_find(*version);
		bytea	   *plain = key ? crypto_open(key, sealed, context) : NULL;

		if (plain != NULL)
		{
			*state = SEALED_OPENED;
			return plain;
		}
		*state = key ? SEALED_NOT_AUTHENTIC : SEALED_KEY_MISSING;
		keyring_recheck();		/* the file may have changed within the second */
	}
	return NULL;
}
