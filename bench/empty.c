/*
 * The floor of an LD_PRELOAD: a shared object with a constructor that does
 * nothing (about +40 µs per exec over no preload: bench/RESULTS.md, "SKIP
 * path"). The SKIP path's budget is 1.05x this.
 */
__attribute__((constructor)) static void empty_init(void)
{
}
