/*
 * The syslog chunk line: the contract between the preload library's syslog
 * transmission (src/preload/transmit-syslog.c) and the reassembler behind
 * `xalt ingest --syslog` (src/cli/ingest/syslog-reassemble.c). docs/syslog.md
 * describes it for sites.
 *
 * A record of L bytes is cut into N = ceil(L / chunk) pieces; piece i
 * (0-based) travels as one syslog message whose text is
 *
 *   XALTCHUNK1 <uuid> <i> <N> <crc of piece, 8 hex> <crc of record, 8 hex> <L> <piece>
 *
 * fields separated by one space; the piece is the rest of the line, pure
 * ASCII JSON with no control bytes (json-out.c), so rsyslog stores it as is.
 * Whatever rsyslog puts in front (time, host, tag[pid]:) is ignored: the
 * reader looks for the marker.
 */
#ifndef XALT_SYSLOG_FORMAT_H
#define XALT_SYSLOG_FORMAT_H

#define SYSLOG_MARKER        "XALTCHUNK1"   /* marker and format version */
#define SYSLOG_CHUNK_DEFAULT 900            /* payload bytes: whole message < 1 KiB (docs/syslog.md) */
#define SYSLOG_CHUNKS_MAX    99999          /* 90 MB at the default: far above any record */
#define SYSLOG_HEADER_MAX    192            /* "<PRI>tag[pid]: " (<= 51) + marker fields (<= 90) */

#endif
