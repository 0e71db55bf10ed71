#include "cliflag.h"

#include <string.h>

const char *cliflag_value(int argc, char **argv, int *i, const char *name,
                          bool *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (a == NULL || strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}
