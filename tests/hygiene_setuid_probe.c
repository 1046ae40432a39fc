/* The set-uid probe of tests/test_hygiene.sh: loads libseqnn from the path
 * it is given and prints what the registry loaded and which device it selects
 * (as `seqnn info` does). It links nothing but libc and finds the library by
 * that absolute path, so a set-uid copy of it runs wherever it and the library
 * are copied: the dynamic linker of a set-uid program reads neither
 * LD_LIBRARY_PATH nor $ORIGIN, and the build tree's run path may lie in a
 * directory the set-uid owner cannot enter.
 * usage: hygiene_setuid_probe /ABSOLUTE/PATH/libseqnn.so.0
 * Output: "loaded NAME PATH" or "rejected PATH: REASON" per plugin file, then
 * "Selection: PLUGIN, device NAME" and "  why: ..."; exit 0 when a device was
 * selected, 1 otherwise, 2 when the library cannot be loaded. */
#include <dlfcn.h>
#include <stdio.h>
#include "seqnn/seqnn.h"

typedef struct seqnn_api {
    seqnn_status (*registry_open)(seqnn_registry **reg);
    void (*registry_close)(seqnn_registry *reg);
    int64_t (*plugin_count)(const seqnn_registry *reg);
    seqnn_status (*plugin)(const seqnn_registry *reg, int64_t i, seqnn_plugin_record *out);
    seqnn_status (*device)(const seqnn_registry *reg, int64_t i, seqnn_device_record *out);
    seqnn_status (*select)(seqnn_registry *reg, const char *spec, int64_t *device, char *why, size_t why_size);
    const char *(*last_error)(void);
} seqnn_api;

/* Looks every function up; 0 when all are there. */
static int load_api(void *lib, seqnn_api *api)
{
    *(void **)&api->registry_open = dlsym(lib, "seqnn_registry_open");
    *(void **)&api->registry_close = dlsym(lib, "seqnn_registry_close");
    *(void **)&api->plugin_count = dlsym(lib, "seqnn_registry_plugin_count");
    *(void **)&api->plugin = dlsym(lib, "seqnn_registry_plugin");
    *(void **)&api->device = dlsym(lib, "seqnn_registry_device");
    *(void **)&api->select = dlsym(lib, "seqnn_registry_select");
    *(void **)&api->last_error = dlsym(lib, "seqnn_last_error");
    return api->registry_open && api->registry_close && api->plugin_count && api->plugin && api->device &&
                   api->select && api->last_error
               ? 0
               : -1;
}

int main(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] != '/') {
        fprintf(stderr, "usage: %s /ABSOLUTE/PATH/libseqnn.so.0\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    seqnn_api api;
    if (!lib || load_api(lib, &api)) {
        fprintf(stderr, "cannot use %s: %s\n", argv[1], lib ? "a function is missing" : dlerror());
        return 2;
    }
    seqnn_registry *reg;
    if (api.registry_open(&reg)) {
        fprintf(stderr, "registry: %s\n", api.last_error());
        return 1;
    }
    for (int64_t i = 0; i < api.plugin_count(reg); i++) {
        seqnn_plugin_record p;
        if (api.plugin(reg, i, &p) == SEQNN_OK) {
            if (p.loaded)
                printf("loaded %s %s\n", p.name, p.path);
            else
                printf("rejected %s: %s\n", p.path, p.reason);
        }
    }
    int64_t chosen;
    char why[512];
    seqnn_device_record d;
    int rc = 0;
    if (api.select(reg, NULL, &chosen, why, sizeof why) == SEQNN_OK && api.device(reg, chosen, &d) == SEQNN_OK) {
        printf("Selection: %s, device \"%s\"\n  why: %s\n", d.plugin_name, d.name, why);
    } else {
        printf("Selection: none\n  why: %s\n", api.last_error());
        rc = 1;
    }
    api.registry_close(reg);
    /* the library stays loaded: plugins' exit handlers may still refer to it */
    return rc;
}
