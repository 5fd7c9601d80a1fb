/* SHA-256 (libcrypto through hadal/sha256.h) against the FIPS 180-2 test vectors (appendix B.1, B.2, B.3), the empty message, lengths
 * around the padding boundary (digests from an independent implementation, Python's hashlib),
 * streaming with every split point, and the file helper. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <hadal/sha256.h>
#include "check.h"

static void expect(const char *what, const char *got, const char *want)
{
  if (strcmp(got, want) != 0) {
    printf("FAIL %s: got %s, want %s\n", what, got, want);
    failures++;
  } else printf("ok   %s\n", what);
}

int main(int argc, char **argv)
{
  static const char *b2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  static const struct {
    size_t      n;
    const char *hex;
  } runs[] = {
    {55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"},
    {56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"},
    {57, "f13b2d724659eb3bf47f2dd6af1accc87b81f09f59f2b75e5c0bed6589dfe8c6"},
    {63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"},
    {64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"},
    {65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0"},
    {119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"},
    {120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"},
    {128, "6836cf13bac400e9105071cd6af47084dfacad4e5e302c94bfed24e013afb73e"},
  };
  const char   *million = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  char          hex[HD_SHA256_HEX_LEN], what[128], path[PETSC_MAX_PATH_LEN];
  unsigned char d[HD_SHA256_BYTES], a[1000];
  hd_sha256     s;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));

  PetscCall(hd_sha256_hex("abc", 3, hex));
  expect("FIPS 180-2 B.1 \"abc\"", hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  PetscCall(hd_sha256_hex(b2, strlen(b2), hex));
  expect("FIPS 180-2 B.2 448-bit message", hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  PetscCall(hd_sha256_hex(NULL, 0, hex));
  expect("empty message", hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

  /* B.3: one million 'a', fed in pieces of 997 bytes (a prime, so pieces straddle block edges). */
  memset(a, 'a', sizeof(a));
  PetscCall(hd_sha256_init(&s));
  for (size_t done = 0; done < 1000000;) {
    size_t take = 1000000 - done < 997 ? 1000000 - done : 997;

    PetscCall(hd_sha256_update(&s, a, take));
    done += take;
  }
  PetscCall(hd_sha256_final(&s, d));
  hd_sha256_to_hex(d, hex);
  expect("FIPS 180-2 B.3 one million 'a' (997-byte pieces)", hex, million);
  PetscCall(hd_sha256_init(&s));
  for (int i = 0; i < 1000; i++) PetscCall(hd_sha256_update(&s, a, 1000));
  PetscCall(hd_sha256_final(&s, d));
  hd_sha256_to_hex(d, hex);
  expect("FIPS 180-2 B.3 one million 'a' (1000-byte pieces)", hex, million);

  for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
    PetscCall(hd_sha256_hex(a, runs[i].n, hex));
    snprintf(what, sizeof(what), "%zu x 'a' (padding boundary)", runs[i].n);
    expect(what, hex, runs[i].hex);
  }

  /* Streaming with every split point of the B.2 message gives the one-shot digest. */
  for (size_t k = 0; k <= strlen(b2); k++) {
    PetscCall(hd_sha256_init(&s));
    PetscCall(hd_sha256_update(&s, b2, k));
    PetscCall(hd_sha256_update(&s, b2 + k, strlen(b2) - k));
    PetscCall(hd_sha256_final(&s, d));
    hd_sha256_to_hex(d, hex);
    snprintf(what, sizeof(what), "B.2 split at %zu", k);
    if (strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1") != 0) expect(what, hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  }
  printf("ok   B.2 streamed with every split point\n");

  /* The file helper hashes the bytes as stored: a 1,000,000-byte file of 'a' gives B.3. */
  {
    FILE *f;

    snprintf(path, sizeof(path), "test_sha256_%d.tmp", (int)getpid());
    f = fopen(path, "wb");
    if (!f) {
      printf("FAIL cannot create %s\n", path);
      failures++;
    } else {
      for (int i = 0; i < 1000; i++) fwrite(a, 1, sizeof(a), f);
      fclose(f);
      PetscCall(hd_sha256_file(path, hex));
      expect("hd_sha256_file on one million 'a'", hex, million);
      remove(path);
    }
  }
  /* Misuse and a missing file are errors that name the problem, not crashes. */
  PetscCall(hd_error_handler_push());
  expect_error(hd_sha256_update(&s, a, 1), "not initialised", "update after final");
  expect_error(hd_sha256_file("no_such_file.bin", hex), "cannot open 'no_such_file.bin'", "checksum of a missing file");
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscFinalize());
  printf("%s\n", failures ? "sha256: FAILED" : "sha256: all passed");
  return failures ? 1 : 0;
}
