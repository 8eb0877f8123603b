/*
 * subxact.h - running a piece of work in a subtransaction that catches its
 * error
 */
#ifndef DBX_SUBXACT_H
#define DBX_SUBXACT_H

/*
 * Run work(arg) in a subtransaction.  Returns NULL when it succeeded, or the
 * error it raised, after rolling back what it did.  Memory allocated by work
 * in the caller's context survives either way.
 */
extern ErrorData *run_in_subtransaction(void (*work) (void *arg), void *arg);

#endif
