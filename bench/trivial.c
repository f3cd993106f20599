/* The tracked program of the spine benchmark: starts, exits 0. */
int main(void)
{
	return 0;
}
