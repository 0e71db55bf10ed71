/*
 * A command line's valued flags, spelled "--name=value" or "--name value"
 * as Prometheus' tools take them: the daemon's flags (cmd/tokentail.c)
 * and those of its commands read them through here. argv is borrowed;
 * the value returned points into it.
 */
#ifndef TOKENTAIL_CLIFLAG_H
#define TOKENTAIL_CLIFLAG_H

#include <stdbool.h>

/*
 * The value of flag name (e.g. "--url") when argv[*i] is that flag,
 * advancing *i past the separate value if it took one. NULL when argv[*i]
 * is another argument (a NULL argv[*i] included), or when it is this flag
 * with no value after it: then *missing is set.
 */
const char *cliflag_value(int argc, char **argv, int *i, const char *name,
                          bool *missing);

#endif
