
/*
 * govern-audit verify --key PUBLIC.pem FILE...: checks audit files (a
 * rotated set given oldest first) against their hash chain and the
 * checkpoints' Ed25519 signatures, with the code the gateway writes them
 * with.  Each problem is printed as FILE:LINE: KIND: what.
 * Exit status: 0 intact and sealed, 1 damaged, 2 a usage or file
 * problem, 3 intact but the last records not sealed by a checkpoint yet.
 */


#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "govern_audit_chain.h"


#define GOVERN_AUDIT_USAGE                                                   \
    "usage: govern-audit verify --key PUBLIC.pem [--max N] FILE...\n"


static void
govern_audit_print(void *data, const char *name, uint64_t line,
    const char *kind, const char *text)
{
    FILE  *out = data;

    if (line) {
        fprintf(out, "%s:%llu: %s: %s\n", name, (unsigned long long) line,
                kind, text);

    } else {
        fprintf(out, "%s: %s: %s\n", name, kind, text);
    }
}


static EVP_PKEY *
govern_audit_public_key(const char *name)
{
    FILE      *f;
    EVP_PKEY  *key;

    f = fopen(name, "r");
    if (f == NULL) {
        fprintf(stderr, "govern-audit: %s: %s\n", name, strerror(errno));
        return NULL;
    }

    key = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);

    if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
        fprintf(stderr, "govern-audit: %s: not an Ed25519 public key in "
                "PEM (openssl pkey -in PRIVATE.pem -pubout)\n", name);
        EVP_PKEY_free(key);
        return NULL;
    }

    return key;
}


/* the file mapped as it is now: a live file may grow meanwhile */

static int
govern_audit_map(const char *name, govern_audit_input_t *in)
{
    int          fd;
    void        *data;
    struct stat  st;

    fd = open(name, O_RDONLY);
    if (fd == -1 || fstat(fd, &st) == -1) {
        fprintf(stderr, "govern-audit: %s: %s\n", name, strerror(errno));

        if (fd != -1) {
            close(fd);
        }

        return -1;
    }

    in->name = name;
    in->data = NULL;
    in->len = (size_t) st.st_size;

    if (in->len) {
        data = mmap(NULL, in->len, PROT_READ, MAP_PRIVATE, fd, 0);

        if (data == MAP_FAILED) {
            fprintf(stderr, "govern-audit: %s: %s\n", name, strerror(errno));
            close(fd);
            return -1;
        }

        (void) madvise(data, in->len, MADV_SEQUENTIAL);
        in->data = data;
    }

    close(fd);

    return 0;
}


int
main(int argc, char **argv)
{
    int                     i, n, status;
    char                   *end;
    const char             *key_name;
    unsigned long           max;
    govern_audit_input_t   *in;
    govern_audit_verify_t   v;

    key_name = NULL;
    max = 20;

    if (argc < 2 || strcmp(argv[1], "verify") != 0) {
        fprintf(stderr, GOVERN_AUDIT_USAGE);
        return 2;
    }

    for (i = 2; i < argc; i++) {

        if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
            key_name = argv[++i];
            continue;
        }

        if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) {
            errno = 0;
            max = strtoul(argv[++i], &end, 10);

            if (errno || *end != '\0' || end == argv[i]) {
                fprintf(stderr, GOVERN_AUDIT_USAGE);
                return 2;
            }

            continue;
        }

        if (strcmp(argv[i], "--") == 0) {
            i++;
        }

        break;
    }

    if (key_name == NULL || i == argc || argv[i][0] == '-') {
        fprintf(stderr, GOVERN_AUDIT_USAGE);
        return 2;
    }

    memset(&v, 0, sizeof(govern_audit_verify_t));

    v.key = govern_audit_public_key(key_name);
    if (v.key == NULL) {
        return 2;
    }

    n = argc - i;

    in = calloc(n, sizeof(govern_audit_input_t));
    if (in == NULL) {
        fprintf(stderr, "govern-audit: out of memory\n");
        EVP_PKEY_free(v.key);
        return 2;
    }

    for (n = 0; i < argc; i++, n++) {
        if (govern_audit_map(argv[i], &in[n]) != 0) {
            status = 2;
            goto done;
        }
    }

    v.report = govern_audit_print;
    v.data = stdout;
    v.max_problems = (unsigned) max;

    status = govern_audit_verify(&v, in, n);

    if (v.problems > v.max_problems && v.max_problems) {
        printf("... %llu more problems not listed (--max 0 lists them "
               "all)\n",
               (unsigned long long) (v.problems - v.max_problems));
    }

    printf("%s: %llu records (%llu requests, %llu checkpoints, %llu gaps "
           "declaring %llu records lost)",
           status == GOVERN_AUDIT_INTACT ? "intact"
           : status == GOVERN_AUDIT_UNSEALED ? "intact, not all sealed"
           : "damaged",
           (unsigned long long) v.records, (unsigned long long) v.requests,
           (unsigned long long) v.checkpoints, (unsigned long long) v.gaps,
           (unsigned long long) v.lost);

    if (v.problems) {
        printf(", %llu problem%s", (unsigned long long) v.problems,
               v.problems == 1 ? "" : "s");
    }

    if (v.sealed_name) {
        printf("; sealed up to %s:%llu (seq %llu)", v.sealed_name,
               (unsigned long long) v.sealed_line,
               (unsigned long long) v.sealed_seq);
    }

    printf("\n");

done:

    while (n--) {
        if (in[n].len) {
            munmap((void *) in[n].data, in[n].len);
        }
    }

    free(in);
    EVP_PKEY_free(v.key);

    return status;
}
