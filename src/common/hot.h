/*
 * XALT_HOT: for a small variable that every exec writes or reads (the
 * preload library's flags). Placed in .data, not .bss: the loader has
 * already written that page (relocations, and the zeroed start of .bss),
 * whereas a first touch of a fresh .bss page costs every exec a page fault,
 * two when the first access is a read (zero page, then copy on write).
 * bench/RESULTS.md, "SKIP path", has the figures.
 */
#ifndef XALT_HOT_H
#define XALT_HOT_H

#define XALT_HOT __attribute__((section(".data")))

#endif
