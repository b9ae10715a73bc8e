/* libFuzzer target: the issuance request body parser (api/request.c). */
#include <stddef.h>
#include <stdint.h>

#include "../../api/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct issue_request *r = NULL;
    char msg[256];

    if (request_parse((const char *)data, size, 1, &r, msg, sizeof(msg)) == 0)
        request_free(r);
    if (request_parse((const char *)data, size, 0, &r, msg, sizeof(msg)) == 0)
        request_free(r);
    return 0;
}
