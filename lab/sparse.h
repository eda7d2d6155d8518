/*
 * sparse.h - which addresses of a lab --range hold a host (lab/sparse.c)
 *
 * Pure functions: a loopback CIDR, a density, and a seeded draw per
 * address, so the same --range, --density and --seed always populate
 * the same addresses.
 */
#ifndef LAB_SPARSE_H
#define LAB_SPARSE_H

#include <stddef.h>
#include <stdint.h>

/* sparse_range - "127.a.b.c/len" (len 8..32, host bits zero) into its
 * first address in host order and its size; -1 with err otherwise */
int sparse_range(const char *cidr, uint32_t *first, uint64_t *count, char *err, size_t errlen);
/* sparse_density - a fraction in (0, 1] as parts per million; -1 otherwise */
int sparse_density(const char *text, uint32_t *ppm);
/* sparse_populated - 1 when addr (host order) holds a host for this seed */
int sparse_populated(uint64_t seed, uint32_t addr, uint32_t ppm);

#endif
