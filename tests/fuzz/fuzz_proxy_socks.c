/*
 * NAME
 *	fuzz_proxy_socks - libFuzzer target for the SOCKS5, SOCKS4 and SOCKS4a attempts
 * SUMMARY
 *	a proxy's answer in fuzzer-chosen chunks; invariants and split-invariance
 * DESCRIPTION
 *	See fuzz_proxy.h: byte 0 picks the protocol, the canary's family and
 *	EOF or timeout; byte 1 the chunk sizes; "@N"/"@B" are valid nonces.
 */
#include "fuzz_proxy.h"

static const enum proxy_proto protos[] = {PX_SOCKS5, PX_SOCKS4, PX_SOCKS4A};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_proxy(data, size, protos, sizeof(protos) / sizeof(protos[0]));
}
