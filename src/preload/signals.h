/*
 * signals.c: the handler of a tracked run for the signals whose default
 * action ends the process, hidden from the program by interposing
 * sigaction() and signal() (docs/design.md "Exit paths").
 *
 * Not in libpreload.a (Makefile): the unit tests must keep libc's
 * sigaction.
 */
#ifndef XALT_PRELOAD_SIGNALS_H
#define XALT_PRELOAD_SIGNALS_H

#include <signal.h>

/*
 * Install `fn` (SA_SIGINFO | SA_RESETHAND | SA_ONSTACK) for each watched
 * signal at SIG_DFL; leave SIG_IGN and the program's handlers alone. From
 * then on sigaction() and signal() report `fn` as SIG_DFL, and SIG_DFL set
 * on a watched signal installs `fn`. `fn` must re-raise the signal after
 * its work (SA_RESETHAND has put SIG_DFL back). Called once, by the
 * constructor of a tracked run. This function can't fail (a signal whose
 * disposition cannot be read is left alone).
 */
void signals_install(void (*fn)(int, siginfo_t *, void *));

/*
 * Call fn(sig) from a signal handler on a stack with room for the record
 * (SIGNALS_ROOM bytes): the current one, unless it is an alternate signal
 * stack with less room left (Rust's is 8 KB, and our handler may run
 * nested in Rust's), then a private static one. Not reentrant: for the
 * one handler that claimed the end of the run. This function can't fail.
 */
#define SIGNALS_ROOM (128 * 1024)
void signals_call_with_room(void (*fn)(int), int sig);

#endif
