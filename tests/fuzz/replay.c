/*
 * NAME
 *	replay - run a libFuzzer target without libFuzzer, for make check
 * SUMMARY
 *	the seeds, the corpus when one exists, and a fixed-seed batch of
 *	random and mutated inputs through LLVMFuzzerTestOneInput
 * DESCRIPTION
 *	Linked with one tests/fuzz/fuzz_<name>.c into build/tests/test_fuzz_<name>
 *	so that every `make check` (and `make asan`) replays what fuzzing has
 *	found and a few thousand deterministic inputs besides: a target's
 *	checks rw_panic (abort) on any broken promise, which fails the test.
 *	SEED_DIR names the seed directory at build time; extra directories
 *	(a libFuzzer corpus) may be given as arguments.
 * LIMITS
 *	REPLAY_RANDOM inputs of up to REPLAY_LEN_MAX bytes; files up to 64 KiB.
 */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_RANDOM 3000
#define REPLAY_LEN_MAX 4096
#define REPLAY_FILE_MAX (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* run_dir - every regular file of dir; returns how many, or -1 */
static long run_dir(const char *dir, uint8_t *buf, uint8_t **seeds, size_t *lens, size_t *nseeds,
		    size_t maxseeds)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	long n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		FILE *fp;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((fp = fopen(path, "rb")) == NULL)
			continue;
		len = fread(buf, 1, REPLAY_FILE_MAX, fp);
		fclose(fp);
		LLVMFuzzerTestOneInput(buf, len);
		if (*nseeds < maxseeds) {
			seeds[*nseeds] = malloc(len ? len : 1);
			memcpy(seeds[*nseeds], buf, len);
			lens[(*nseeds)++] = len;
		}
		n++;
	}
	closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	static uint8_t buf[REPLAY_FILE_MAX];
	uint8_t *seeds[256];
	size_t lens[256], nseeds = 0;
	long files = run_dir(SEED_DIR, buf, seeds, lens, &nseeds, 256);

	if (files < 0) {
		fprintf(stderr, "replay: no seed directory %s\n", SEED_DIR);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		long n = run_dir(argv[i], buf, seeds, lens, &nseeds, 256);
		files += n > 0 ? n : 0;
	}
	for (int i = 0; i < REPLAY_RANDOM; i++) {
		size_t len = (size_t)(next() % REPLAY_LEN_MAX);

		if (nseeds > 0 && i % 2 == 0) {
			/* mutate a seed: flip, insert and cut bytes */
			size_t k = (size_t)(next() % nseeds);

			len = lens[k] < REPLAY_LEN_MAX ? lens[k] : REPLAY_LEN_MAX;
			memcpy(buf, seeds[k], len);
			for (int m = 0; m < 8 && len > 0; m++)
				buf[next() % len] = (uint8_t)next();
			if (i % 6 == 0)
				len = (size_t)(next() % (len + 1));
		} else {
			static const uint8_t special[8] = { '\r', '\n', 0, '-', '.', ' ', '2', '5' };

			for (size_t j = 0; j < len; j++) /* mostly printable, some CR/LF/NUL */
				buf[j] = (next() % 8) == 0 ? special[next() % 8]
							   : (uint8_t)(32 + next() % 95);
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	for (size_t i = 0; i < nseeds; i++)
		free(seeds[i]);
	printf("replay: %ld files from %s and corpora, %d generated inputs: no failure\n", files,
	       SEED_DIR, REPLAY_RANDOM);
	return 0;
}
