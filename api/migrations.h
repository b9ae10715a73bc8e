/* The SQL migrations compiled into meshcad (generated from migrations/). */
#ifndef MESHCAD_MIGRATIONS_H
#define MESHCAD_MIGRATIONS_H

#include <stddef.h>

struct migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct migration migrations[];
extern const size_t nmigrations;

#endif
