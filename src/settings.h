/*
 * settings.h - the dbx_oauth.* configuration parameters
 */
#ifndef DBX_SETTINGS_H
#define DBX_SETTINGS_H

/* dbx_oauth.key_file: absolute path of the key file, or empty when unset. */
extern char *dbx_key_file;

extern void settings_define(void);

#endif
