/*
 * Showing untrusted text to a person: user, package and path names come
 * from records that users write, and some users are hostile. Raw, an ESC
 * sequence in a package name reaches the admin's terminal and acts there
 * (OSC 52 writes the clipboard, ESC[2J clears the screen), and so do C1
 * controls, which some terminals obey as 8-bit escapes.
 *
 * One rule for every place the CLI shows such text (reports as text, CSV
 * and HTML, ingest's messages naming files), so that no output escapes
 * less than another: docs/database.md, "Reports: what is escaped".
 */
#ifndef XALT_VISIBLE_H
#define XALT_VISIBLE_H

#include <stddef.h>

struct xbuf;

/*
 * Append s[0 .. len) to out with every byte that could act on a terminal
 * or hide what the text says shown as a visible escape:
 *   C0 controls (0x00-0x1f) and DEL       \x1b, \x0a, \x7f
 *   a byte that is not valid UTF-8        \xff (each such byte)
 *   C1 controls U+0080-U+009F             \u009b
 *   bidirectional controls and line/paragraph separators
 *     (U+200E, U+200F, U+2028-U+202E, U+2066-U+2069)  \u202e
 *   the backslash itself                  \\  (so escapes are unambiguous)
 * Everything else, valid UTF-8 included, is copied. This function can't
 * fail (xbuf dies on allocation failure).
 */
void visible_add(struct xbuf *out, const char *s, size_t len);

/* 1 when s needs no escape at all (the common case: copy it as it is). */
int visible_is_plain(const char *s);

#endif
