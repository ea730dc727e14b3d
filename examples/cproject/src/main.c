/* Driver: runs every module's self-test and prints a digest per module. */
#include <stdio.h>

#include "common.h"

static int failures;

void jt_fail(const char *file, int line, const char *expr)
{
    failures++;
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
}

struct module {
    const char *name;
    int (*selftest)(uint64_t *digest);
};

#define JT_MODULE_ENTRY(name) {#name, name##_selftest},
static const struct module modules[] = {JT_MODULES(JT_MODULE_ENTRY)};
#undef JT_MODULE_ENTRY

int main(void)
{
    int failed = 0;
    uint64_t total = 0;
    for (size_t i = 0; i < JT_ARRAY_LEN(modules); i++) {
        uint64_t digest = 0;
        int rc = modules[i].selftest(&digest);
        total = jt_digest(total, digest);
        printf("%-10s %s  %016llx\n", modules[i].name, rc == 0 ? "ok  " : "FAIL",
               (unsigned long long)digest);
        if (rc != 0) failed++;
    }
    printf("%zu modules, %d failed, combined digest %016llx\n", JT_ARRAY_LEN(modules), failed,
           (unsigned long long)total);
    return failed == 0 && failures == 0 ? 0 : 1;
}
