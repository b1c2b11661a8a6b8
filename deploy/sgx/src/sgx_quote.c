/*
 * sgx_quote: the native quote helper of the azure-sgx operator (spec attestation-azure.md 1.3b),
 * run inside the Occlum enclave. Node.js cannot issue ioctls, so the operator's HelperQuoteSource
 * (src/attestation/sgx/quote-source.ts) runs this binary as a child process.
 *
 *   sgx_quote quote <128 hex chars>   write the raw DCAP v3 quote with that REPORTDATA to stdout
 *   sgx_quote [info]                  quote with zero REPORTDATA; print MRENCLAVE, MRSIGNER,
 *                                     PRODID, SVN and DEBUG (what build.sh and run.sh quote show)
 *
 * Exit status: 0 ok, 2 usage, 75 (EX_TEMPFAIL) quote not available yet, 1 other failure.
 * Occlum's /dev/sgx ioctls (occlum: src/libos/src/fs/dev_fs/dev_sgx/consts.rs):
 *   SGXIOC_GET_DCAP_QUOTE_SIZE = _IOR('s', 7, uint32_t)       = 0x80047307
 *   SGXIOC_GEN_DCAP_QUOTE      = _IOWR('s', 8, gen_quote_arg) = 0xc0187308
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define REPORT_DATA_SIZE 64
#define EX_TEMPFAIL 75

typedef struct {
    uint8_t d[REPORT_DATA_SIZE];
} report_data_t;

typedef struct {
    report_data_t *report_data;
    uint32_t *quote_len;
    uint8_t *quote_buf;
} gen_quote_arg_t;

#define SGXIOC_GET_DCAP_QUOTE_SIZE _IOR('s', 7, uint32_t)
#define SGXIOC_GEN_DCAP_QUOTE _IOWR('s', 8, gen_quote_arg_t)

/* Offsets in the quote (spec 2.5): ISV report body at 48. */
#define OFF_ATTRIBUTES 96
#define OFF_MRENCLAVE 112
#define OFF_MRSIGNER 176
#define OFF_ISVPRODID 304
#define OFF_ISVSVN 306
#define MIN_QUOTE_SIZE 436

static int parse_hex(const char *hex, report_data_t *out) {
    if (strlen(hex) != 2 * REPORT_DATA_SIZE) return -1;
    for (int i = 0; i < REPORT_DATA_SIZE; i++) {
        unsigned int byte;
        if (sscanf(hex + 2 * i, "%2x", &byte) != 1) return -1;
        out->d[i] = (uint8_t)byte;
    }
    return 0;
}

/* Returns the quote (caller frees) or NULL with *status set. Retries EAGAIN like upstream (3 x 1 s). */
static uint8_t *generate_quote(report_data_t *report_data, uint32_t *len, int *status) {
    int fd = open("/dev/sgx", O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "sgx_quote: cannot open /dev/sgx (not inside an Occlum enclave?)\n");
        *status = 1;
        return NULL;
    }
    uint8_t *quote = NULL;
    *status = EX_TEMPFAIL;
    for (int attempt = 0; attempt < 3; attempt++) {
        if (attempt > 0) sleep(1);
        if (ioctl(fd, SGXIOC_GET_DCAP_QUOTE_SIZE, len) < 0) {
            if (errno == EAGAIN) continue;
            *status = 1;
            break;
        }
        free(quote);
        quote = calloc(1, *len);
        if (quote == NULL) {
            *status = 1;
            break;
        }
        gen_quote_arg_t arg = {report_data, len, quote};
        if (ioctl(fd, SGXIOC_GEN_DCAP_QUOTE, &arg) == 0) {
            *status = 0;
            break;
        }
        if (errno != EAGAIN) {
            *status = 1;
            break;
        }
    }
    close(fd);
    if (*status != 0) {
        fprintf(stderr, "sgx_quote: quote generation failed\n");
        free(quote);
        return NULL;
    }
    return quote;
}

static void print_hex(const char *label, const uint8_t *bytes, size_t n) {
    printf("%s: ", label);
    for (size_t i = 0; i < n; i++) printf("%02x", bytes[i]);
    printf("\n");
}

static uint16_t u16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

int main(int argc, char **argv) {
    report_data_t report_data;
    memset(&report_data, 0, sizeof report_data);
    int raw = argc >= 2 && strcmp(argv[1], "quote") == 0;
    if (raw && (argc != 3 || parse_hex(argv[2], &report_data) != 0)) {
        fprintf(stderr, "usage: sgx_quote quote <128 hex chars> | sgx_quote [info]\n");
        return 2;
    }
    if (!raw && argc >= 2 && strcmp(argv[1], "info") != 0) {
        fprintf(stderr, "usage: sgx_quote quote <128 hex chars> | sgx_quote [info]\n");
        return 2;
    }
    uint32_t len = 0;
    int status = 0;
    uint8_t *quote = generate_quote(&report_data, &len, &status);
    if (quote == NULL) return status;
    if (len < MIN_QUOTE_SIZE) {
        fprintf(stderr, "sgx_quote: quote too short\n");
        free(quote);
        return 1;
    }
    if (raw) {
        size_t written = fwrite(quote, 1, len, stdout);
        free(quote);
        return written == len && fflush(stdout) == 0 ? 0 : 1;
    }
    print_hex("MRENCLAVE", quote + OFF_MRENCLAVE, 32);
    print_hex("MRSIGNER", quote + OFF_MRSIGNER, 32);
    printf("PRODID: %u\n", u16le(quote + OFF_ISVPRODID));
    printf("SVN: %u\n", u16le(quote + OFF_ISVSVN));
    printf("DEBUG: %s\n", (quote[OFF_ATTRIBUTES] & 0x2) ? "true" : "false");
    free(quote);
    return 0;
}
