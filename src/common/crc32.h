/*
 * CRC-32 (ISO-HDLC, the zlib/PNG/Ethernet polynomial 0xEDB88320, reflected,
 * initial and final xor 0xFFFFFFFF): the checksum of syslog chunks and of
 * whole records (docs/syslog.md). One implementation, shared by the preload
 * library (which sends) and the CLI (which verifies), so they cannot drift.
 * libc only, no state, async-signal-safe.
 */
#ifndef XALT_CRC32_H
#define XALT_CRC32_H

#include <stddef.h>
#include <stdint.h>

/*
 * Continue a CRC-32 over [data, data+len): start with crc = 0, feed the
 * previous return value to go on. crc32_update(0, "123456789", 9) is
 * 0xcbf43926. Can't fail.
 */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif
