/* Plugin discovery, loading and device selection (docs/backends.md, "Discovery").
 *
 * Search order: each absolute directory of SEQNN_PLUGIN_PATH (colon-separated,
 * read with secure_getenv; relative and empty entries are ignored with a
 * warning), then the install plugin directory, then lib/seqnn next to libseqnn
 * itself and next to the running executable (../lib/seqnn: the build tree).
 * Files named libseqnn-*.so are tried in name order; every one is recorded,
 * loaded or rejected with the reason (dlerror, missing entry symbol, ABI major
 * version, init failure, shadowed by an earlier plugin of the same name, or an
 * unsafe location: the file, or a directory on its real path, writable by
 * others; see plugin_location_unsafe). A file is loaded by its real, absolute
 * path, the one that was checked. Nothing from the current directory is
 * loaded unless a path names it (SEQNN_BACKEND=./libseqnn-x.so; a bare
 * "libseqnn-x.so" is refused with that hint). docs/backends.md states the rules. */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <stdarg.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "internal.h"

#ifndef SEQNN_INSTALL_PLUGIN_DIR
#define SEQNN_INSTALL_PLUGIN_DIR "/usr/local/lib/seqnn"
#endif

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static seqnn_plugin_entry *add_entry(seqnn_registry *reg, const char *path)
{
    if (reg->n_plugins == reg->cap_plugins) {
        int64_t cap = reg->cap_plugins ? 2 * reg->cap_plugins : 8;
        seqnn_plugin_entry *p = realloc(reg->plugins, (size_t)cap * sizeof *p);
        if (!p)
            return NULL;
        reg->plugins = p;
        reg->cap_plugins = cap;
    }
    seqnn_plugin_entry *e = &reg->plugins[reg->n_plugins];
    memset(e, 0, sizeof *e);
    e->path = dup_str(path);
    char resolved[PATH_MAX];
    e->real_path = dup_str(realpath(path, resolved) ? resolved : path);
    if (!e->path || !e->real_path) {
        free(e->path);
        free(e->real_path);
        return NULL;
    }
    reg->n_plugins++;
    return e;
}

static seqnn_status add_device(seqnn_registry *reg, int64_t plugin, int64_t index,
                               const seqnn_device_info *info)
{
    if (reg->n_devices == reg->cap_devices) {
        int64_t cap = reg->cap_devices ? 2 * reg->cap_devices : 8;
        seqnn_device_entry *d = realloc(reg->devices, (size_t)cap * sizeof *d);
        if (!d)
            return SEQNN_ERR_NO_MEMORY;
        reg->devices = d;
        reg->cap_devices = cap;
    }
    seqnn_device_entry *d = &reg->devices[reg->n_devices++];
    d->plugin = plugin;
    d->index = index;
    d->info = *info;
    d->info.name[sizeof d->info.name - 1] = '\0';
    d->info.reason[sizeof d->info.reason - 1] = '\0';
    return SEQNN_OK;
}

/* Marks e rejected with a reason and the status that goes with it. */
static seqnn_status reject(seqnn_plugin_entry *e, seqnn_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static seqnn_status reject(seqnn_plugin_entry *e, seqnn_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->reason, sizeof e->reason, fmt, ap);
    va_end(ap);
    e->loaded = 0;
    seqnn_log(SEQNN_LOG_INFO, "plugin %s rejected: %s", e->path, e->reason);
    return status;
}

/* The fixed members every plugin must have: everything before the kernels. */
#define SEQNN_API_HEADER_SIZE offsetof(seqnn_plugin_api, gemm)

/* Why the plugin file at `real` (a real path: no symbolic links, absolute)
 * must not be loaded, or 0 when its location is safe. Unsafe: the file is
 * writable by others; a directory on the path is writable by others without
 * the sticky bit (anyone could rename or replace what lies below it); a
 * sticky directory writable by others (/tmp) holds the next component (the
 * file or a directory on the way to it) owned by someone other than the
 * effective user and root (anyone could have put it there). */
static int plugin_location_unsafe(const char *real, char *why, size_t why_size)
{
    struct stat st;
    if (real[0] != '/') {
        snprintf(why, why_size, "refused: not an absolute path after resolving links");
        return 1;
    }
    if (stat(real, &st) != 0) {
        snprintf(why, why_size, "cannot stat %.1000s: %s", real, strerror(errno));
        return 1;
    }
    if (st.st_mode & S_IWOTH) {
        snprintf(why, why_size, "refused: the file is writable by others (chmod o-w %.1000s)", real);
        return 1;
    }
    const uid_t me = geteuid();
    uid_t child_uid = st.st_uid;
    char child[PATH_MAX];
    snprintf(child, sizeof child, "%s", real);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", real);
    for (;;) {
        char *slash = strrchr(dir, '/');
        if (!slash)
            break;
        if (slash == dir)
            slash[1] = '\0';            /* the root */
        else
            *slash = '\0';
        if (stat(dir, &st) != 0) {
            snprintf(why, why_size, "cannot stat directory %.1000s: %s", dir, strerror(errno));
            return 1;
        }
        if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
            snprintf(why, why_size, "refused: directory %.1000s is writable by others (chmod o-w %.1000s)", dir, dir);
            return 1;
        }
        if ((st.st_mode & S_IWOTH) && child_uid != me && child_uid != 0) {
            snprintf(why, why_size, "refused: %.1000s lies in %.1000s, a directory writable by others, and belongs to "
                     "uid %u, neither you nor root", child, dir, (unsigned)child_uid);
            return 1;
        }
        if (!strcmp(dir, "/"))
            break;
        child_uid = st.st_uid;
        snprintf(child, sizeof child, "%s", dir);
    }
    return 0;
}

/* ---- plugins loaded in this process
 * Every registry dlopens the plugins it finds, and the dynamic linker hands
 * all of them the one loaded copy of each file, with its static data (the
 * avx2 plugin's worker pool, for one). So that a plugin sees what the ABI
 * promises (init once after loading, fini before unloading) however many
 * registries and threads use it, the modules are counted here: init runs when
 * a registry loads a file no other registry holds, fini when the last one
 * closes it (the state is shared meanwhile). plugin_lock serialises every
 * plugin-wide call (entry, init, fini, device_count, device_info, device_open,
 * device_close, here and in context.c): plugins need not be reentrant there.
 * Calls on open devices (buffers, kernels) are not serialised. */
typedef struct seqnn_module {
    void *dl;                            /* dlopen handle: one per loaded file */
    void *state;                         /* what init returned */
    void (*fini)(void *state);
    int64_t refs;                        /* registries holding it */
    struct seqnn_module *next;
} seqnn_module;

static pthread_mutex_t plugin_mutex = PTHREAD_MUTEX_INITIALIZER;
static seqnn_module *modules;

void seqnn_plugin_lock(void)
{
    pthread_mutex_lock(&plugin_mutex);
}

void seqnn_plugin_unlock(void)
{
    pthread_mutex_unlock(&plugin_mutex);
}

static seqnn_module *module_find(void *dl)
{
    for (seqnn_module *m = modules; m; m = m->next)
        if (m->dl == dl)
            return m;
    return NULL;
}

/* Drops a registry's hold on a loaded plugin (plugin_lock held); the last
 * one calls fini. */
static void module_release(void *dl)
{
    for (seqnn_module **pm = &modules; *pm; pm = &(*pm)->next) {
        seqnn_module *m = *pm;
        if (m->dl != dl)
            continue;
        if (--m->refs == 0) {
            if (m->fini)
                m->fini(m->state);
            *pm = m->next;
            free(m);
        }
        return;
    }
}

/* dlopen, entry symbol, ABI, init (or the state of the module already
 * loaded), devices; plugin_lock held. */
/* The first required (non-kernel) member of the vtable that is NULL, by its
 * name, or NULL when all are there. */
static const char *missing_member(const seqnn_plugin_api *api)
{
    const struct {
        const char *name;
        int present;
    } required[] = {
        {"name", api->name != NULL},
        {"init", api->init != NULL},
        {"device_count", api->device_count != NULL},
        {"device_info", api->device_info != NULL},
        {"device_open", api->device_open != NULL},
        {"device_close", api->device_close != NULL},
        {"buffer_alloc", api->buffer_alloc != NULL},
        {"buffer_free", api->buffer_free != NULL},
        {"buffer_write", api->buffer_write != NULL},
        {"buffer_read", api->buffer_read != NULL},
        {"buffer_copy", api->buffer_copy != NULL},
        {"buffer_fill", api->buffer_fill != NULL},
        {"sync", api->sync != NULL},
    };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!required[i].present)
            return required[i].name;
    return NULL;
}

/* 1 when the vtable, within its struct_size, has no kernel slot at all. */
static int no_kernel(const seqnn_plugin_api *api)
{
    seqnn_plugin_api copy;
    memset(&copy, 0, sizeof copy);
    memcpy(&copy, api, api->struct_size < sizeof copy ? (size_t)api->struct_size : sizeof copy);
#define SEQNN_KERNEL(kname, args, doc) if (copy.kname) return 0;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    return 1;
}

/* by_path: the file was named by its path in a request, which wins over an
 * earlier plugin of the same name (for that request). */
static seqnn_status load_locked(seqnn_registry *reg, int64_t idx, int by_path)
{
    seqnn_plugin_entry *e = &reg->plugins[idx];
    dlerror();
    e->dl = dlopen(e->real_path, RTLD_NOW | RTLD_LOCAL);   /* the file checked, never a library-path search */
    if (!e->dl) {
        const char *err = dlerror();
        return reject(e, SEQNN_ERR_ABI, "dlopen failed: %s", err ? err : "unknown error");
    }
    seqnn_plugin_entry_fn entry;
    void *sym = dlsym(e->dl, SEQNN_PLUGIN_ENTRY_SYMBOL);
    if (!sym) {
        dlclose(e->dl);
        e->dl = NULL;
        return reject(e, SEQNN_ERR_ABI, "not a seqnn plugin: no symbol %s", SEQNN_PLUGIN_ENTRY_SYMBOL);
    }
    memcpy(&entry, &sym, sizeof entry);
    const seqnn_plugin_api *api = entry();
    seqnn_status st_code = SEQNN_OK;
    if (!api)
        st_code = reject(e, SEQNN_ERR_ABI, "%s returned NULL", SEQNN_PLUGIN_ENTRY_SYMBOL);
    else if (api->abi_major != SEQNN_ABI_MAJOR)
        st_code = reject(e, SEQNN_ERR_ABI, "plugin ABI version %u.%u, this seqnn needs major version %u (%u.%u)",
                         api->abi_major, api->abi_minor, SEQNN_ABI_MAJOR, SEQNN_ABI_MAJOR, SEQNN_ABI_MINOR);
    else if (api->struct_size < SEQNN_API_HEADER_SIZE)
        st_code = reject(e, SEQNN_ERR_ABI, "vtable of %llu bytes is shorter than the fixed part (%zu bytes)",
                         (unsigned long long)api->struct_size, (size_t)SEQNN_API_HEADER_SIZE);
    else if (missing_member(api))
        st_code = reject(e, SEQNN_ERR_ABI, "vtable lacks the required member '%s' (NULL)", missing_member(api));
    else if (no_kernel(api))
        st_code = reject(e, SEQNN_ERR_ABI, "plugin '%s' implements no kernel of the catalogue (every kernel slot "
                         "is NULL): nothing could run on it", api->name);
    if (st_code != SEQNN_OK) {
        dlclose(e->dl);
        e->dl = NULL;
        return st_code;
    }
    e->abi_major = api->abi_major;
    e->abi_minor = api->abi_minor;
    e->name = dup_str(api->name);
    if (!e->name) {
        dlclose(e->dl);
        e->dl = NULL;
        return reject(e, SEQNN_ERR_NO_MEMORY, "out of memory");
    }
    for (int64_t i = 0; !by_path && i < reg->n_plugins; i++) {
        if (i != idx && reg->plugins[i].loaded && reg->plugins[i].name &&
            !strcmp(reg->plugins[i].name, e->name)) {
            dlclose(e->dl);
            e->dl = NULL;
            return reject(e, SEQNN_ERR_INVALID_ARG, "shadowed by %s, an earlier plugin named '%s'",
                          reg->plugins[i].path, e->name);
        }
    }
    /* Copy what the plugin has; slots beyond its struct_size stay NULL. */
    memset(&e->api, 0, sizeof e->api);
    size_t n = api->struct_size < sizeof e->api ? (size_t)api->struct_size : sizeof e->api;
    memcpy(&e->api, api, n);
    e->kernels_present = 0;
#define SEQNN_KERNEL(kname, args, doc) e->kernels_present += e->api.kname != NULL;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL

    seqnn_module *m = module_find(e->dl);
    if (m) {
        m->refs++;
        e->state = m->state;
    } else {
        m = calloc(1, sizeof *m);
        if (!m) {
            dlclose(e->dl);
            e->dl = NULL;
            return reject(e, SEQNN_ERR_NO_MEMORY, "out of memory");
        }
        char msg[512] = "";
        seqnn_status s = e->api.init(&e->state, msg, sizeof msg);
        if (s != SEQNN_OK) {
            free(m);
            dlclose(e->dl);
            e->dl = NULL;
            return reject(e, s, "init failed: %s (%s)", msg[0] ? msg : "no message", seqnn_status_name(s));
        }
        m->dl = e->dl;
        m->state = e->state;
        m->fini = e->api.fini;
        m->refs = 1;
        m->next = modules;
        modules = m;
    }
    e->loaded = 1;
    e->reason[0] = '\0';
    int64_t count = e->api.device_count(e->state);
    for (int64_t d = 0; d < count; d++) {
        seqnn_device_info info;
        memset(&info, 0, sizeof info);
        if (e->api.device_info(e->state, d, &info) != SEQNN_OK) {
            snprintf(info.name, sizeof info.name, "device %lld", (long long)d);
            snprintf(info.reason, sizeof info.reason, "device_info failed");
            info.score = 0;
        }
        if (info.score < 0)
            info.score = 0;
        if (add_device(reg, idx, d, &info) != SEQNN_OK)
            return SEQNN_ERR_NO_MEMORY;
    }
    seqnn_log(SEQNN_LOG_DEBUG, "plugin %s loaded from %s (%lld devices)", e->name, e->path, (long long)count);
    return SEQNN_OK;
}

static seqnn_status load_entry(seqnn_registry *reg, int64_t idx, int by_path)
{
    seqnn_plugin_entry *e = &reg->plugins[idx];
    struct stat st;
    if (stat(e->path, &st) != 0)
        return reject(e, SEQNN_ERR_NOT_FOUND, "cannot stat: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return reject(e, SEQNN_ERR_NOT_FOUND, "not a regular file");
    char why[4096];
    if (plugin_location_unsafe(e->real_path, why, sizeof why))
        return reject(e, SEQNN_ERR_ABI, "%s", why);

    for (int64_t i = 0; i < reg->n_plugins; i++) {
        if (i != idx && reg->plugins[i].loaded && !strcmp(reg->plugins[i].real_path, e->real_path))
            return reject(e, SEQNN_ERR_INVALID_ARG, "the same file is already loaded as %s",
                          reg->plugins[i].path);
    }
    seqnn_plugin_lock();
    seqnn_status s = load_locked(reg, idx, by_path);
    seqnn_plugin_unlock();
    return s;
}

static seqnn_status add_file(seqnn_registry *reg, const char *path, int by_path)
{
    if (!reg || !path)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_registry_add_file: NULL argument");
    seqnn_plugin_entry *e = add_entry(reg, path);
    if (!e)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    int64_t idx = e - reg->plugins;
    seqnn_status s = load_entry(reg, idx, by_path);
    if (s != SEQNN_OK)
        return seqnn_set_error(NULL, s, "%s: %s", path, reg->plugins[idx].reason);
    return SEQNN_OK;
}

seqnn_status seqnn_registry_add_file(seqnn_registry *reg, const char *path)
{
    return add_file(reg, path, 0);
}

static int is_plugin_file_name(const char *name)
{
    size_t n = strlen(name);
    return strncmp(name, "libseqnn-", 9) == 0 && n > 12 && strcmp(name + n - 3, ".so") == 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void note_searched(seqnn_registry *reg, const char *dir)
{
    size_t used = strlen(reg->searched);
    snprintf(reg->searched + used, sizeof reg->searched - used, "%s%s", used ? ":" : "", dir);
}

/* Scans one directory (once, by real path). */
static seqnn_status scan_dir(seqnn_registry *reg, const char *dir, char (*seen)[PATH_MAX], int *n_seen)
{
    char resolved[PATH_MAX];
    if (!realpath(dir, resolved))
        return SEQNN_OK;                 /* a missing directory is not an error */
    for (int i = 0; i < *n_seen; i++)
        if (!strcmp(seen[i], resolved))
            return SEQNN_OK;
    if (*n_seen < 16)
        strcpy(seen[(*n_seen)++], resolved);
    note_searched(reg, resolved);
    struct stat st;
    if (stat(resolved, &st) == 0 && (st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX))
        seqnn_log(SEQNN_LOG_WARN, "plugin directory %s is writable by others: its plugins are refused", dir);
    DIR *d = opendir(resolved);
    if (!d)
        return SEQNN_OK;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    seqnn_status s = SEQNN_OK;
    while ((de = readdir(d)) != NULL) {
        if (!is_plugin_file_name(de->d_name))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            char **nn = realloc(names, cap * sizeof *nn);
            if (!nn) { s = SEQNN_ERR_NO_MEMORY; break; }
            names = nn;
        }
        if (!(names[n] = dup_str(de->d_name))) { s = SEQNN_ERR_NO_MEMORY; break; }
        n++;
    }
    closedir(d);
    if (s == SEQNN_OK)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (s == SEQNN_OK) {
            char path[2 * PATH_MAX + 2];
            snprintf(path, sizeof path, "%s/%s", resolved, names[i]);
            seqnn_plugin_entry *e = add_entry(reg, path);
            if (!e)
                s = SEQNN_ERR_NO_MEMORY;
            else if (load_entry(reg, e - reg->plugins, 0) == SEQNN_ERR_NO_MEMORY)
                s = SEQNN_ERR_NO_MEMORY;
        }
        free(names[i]);
    }
    free(names);
    return s;
}

seqnn_status seqnn_registry_open_empty(seqnn_registry **out)
{
    if (!out)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_registry_open: NULL argument");
    *out = calloc(1, sizeof **out);
    if (!*out)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    return SEQNN_OK;
}

/* SEQNN_NUM_THREADS and SEQNN_SPIN_US, read by the CPU plugins: a value out
 * of range is warned about (once a process) rather than silently ignored. */
static void check_environment(void)
{
    const char *v = getenv("SEQNN_NUM_THREADS");
    char *end = NULL;
    long n = v && *v ? strtol(v, &end, 10) : 1;
    if (v && *v && (*end != '\0' || n < 1))
        seqnn_log(SEQNN_LOG_WARN, "SEQNN_NUM_THREADS=%s is not a positive integer: ignored (the CPU plugins use "
                  "every CPU this process may run on)", v);
    v = getenv("SEQNN_SPIN_US");
    n = v && *v ? strtol(v, &end, 10) : 0;
    if (v && *v && (*end != '\0' || n < 0 || n > 1000000))
        seqnn_log(SEQNN_LOG_WARN, "SEQNN_SPIN_US=%s is not a number of microseconds in [0, 1000000]: ignored "
                  "(the CPU plugins' threads spin up to 100 us between jobs)", v);
}

/* A selection, logged at info level unless it repeats the previous one this
 * process logged (a caller that asks why, then creates its context, selects
 * twice). */
static void log_selection(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_selection(const char *fmt, ...)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static char previous[SEQNN_MSG_SIZE];
    char line[SEQNN_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&lock);
    int repeat = !strcmp(line, previous);
    memcpy(previous, line, sizeof line);
    pthread_mutex_unlock(&lock);
    if (!repeat)
        seqnn_log(SEQNN_LOG_INFO, "%s", line);
}

seqnn_status seqnn_registry_open(seqnn_registry **out)
{
    static pthread_once_t env_once = PTHREAD_ONCE_INIT;
    pthread_once(&env_once, check_environment);
    seqnn_status s = seqnn_registry_open_empty(out);
    if (s != SEQNN_OK)
        return s;
    seqnn_registry *reg = *out;
    char seen[16][PATH_MAX];
    int n_seen = 0;

    /* absolute entries only: a relative or empty one would load from wherever
     * the process happens to run (in PATH syntax "" even means ".") */
    const char *env = secure_getenv("SEQNN_PLUGIN_PATH");
    if (env && *env) {
        char *copy = dup_str(env);
        if (!copy)
            s = SEQNN_ERR_NO_MEMORY;
        for (char *dir = copy; dir && s == SEQNN_OK;) {
            char *next = strchr(dir, ':');
            if (next)
                *next++ = '\0';
            if (dir[0] == '/')
                s = scan_dir(reg, dir, seen, &n_seen);
            else
                seqnn_log(SEQNN_LOG_WARN, "SEQNN_PLUGIN_PATH entry '%s' ignored: not an absolute path (plugins "
                          "are never loaded from the current directory unless a path names them)", dir);
            dir = next;
        }
        free(copy);
    }
    if (s == SEQNN_OK)
        s = scan_dir(reg, SEQNN_INSTALL_PLUGIN_DIR, seen, &n_seen);
    /* next to libseqnn.so: <libdir>/seqnn */
    Dl_info info;
    if (s == SEQNN_OK && dladdr((void *)seqnn_registry_open, &info) && info.dli_fname) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", info.dli_fname);
        char *slash = strrchr(dir, '/');
        if (slash) {
            snprintf(slash, sizeof dir - (size_t)(slash - dir), "/seqnn");
            s = scan_dir(reg, dir, seen, &n_seen);
        }
    }
    /* the running executable's tree: <exe dir>/../lib/seqnn */
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (s == SEQNN_OK && len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char dir[PATH_MAX + 16];
            snprintf(dir, sizeof dir, "%s/../lib/seqnn", exe);
            s = scan_dir(reg, dir, seen, &n_seen);
        }
    }
    if (s != SEQNN_OK) {
        seqnn_registry_close(reg);
        *out = NULL;
        return seqnn_set_error(NULL, s, "out of memory while scanning for plugins");
    }
    return SEQNN_OK;
}

void seqnn_registry_close(seqnn_registry *reg)
{
    if (!reg)
        return;
    seqnn_plugin_lock();
    for (int64_t i = 0; i < reg->n_plugins; i++) {
        seqnn_plugin_entry *e = &reg->plugins[i];
        if (e->loaded)
            module_release(e->dl);       /* fini when no other registry holds it */
        if (e->dl)
            dlclose(e->dl);
    }
    seqnn_plugin_unlock();
    for (int64_t i = 0; i < reg->n_plugins; i++) {
        seqnn_plugin_entry *e = &reg->plugins[i];
        free(e->path);
        free(e->real_path);
        free(e->name);
    }
    free(reg->plugins);
    free(reg->devices);
    free(reg);
}

int64_t seqnn_registry_plugin_count(const seqnn_registry *reg)
{
    return reg ? reg->n_plugins : 0;
}

seqnn_status seqnn_registry_plugin(const seqnn_registry *reg, int64_t i, seqnn_plugin_record *out)
{
    if (!reg || !out || i < 0 || i >= reg->n_plugins)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_registry_plugin: bad index %lld", (long long)i);
    const seqnn_plugin_entry *e = &reg->plugins[i];
    out->path = e->path;
    out->name = e->name;
    out->loaded = e->loaded;
    out->reason = e->reason;
    out->abi_major = e->abi_major;
    out->abi_minor = e->abi_minor;
    out->kernels_present = e->kernels_present;
    out->version = e->loaded && e->api.version ? e->api.version : "";
    out->description = e->loaded && e->api.description ? e->api.description : "";
    return SEQNN_OK;
}

int64_t seqnn_registry_device_count(const seqnn_registry *reg)
{
    return reg ? reg->n_devices : 0;
}

seqnn_status seqnn_registry_device(const seqnn_registry *reg, int64_t i, seqnn_device_record *out)
{
    if (!reg || !out || i < 0 || i >= reg->n_devices)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_registry_device: bad index %lld", (long long)i);
    const seqnn_device_entry *d = &reg->devices[i];
    out->plugin = d->plugin;
    out->plugin_name = reg->plugins[d->plugin].name;
    out->index = d->index;
    out->name = d->info.name;
    out->kind = (int)d->info.kind;
    out->score = d->info.score;
    out->reason = d->info.reason;
    out->memory_bytes = d->info.memory_bytes;
    return SEQNN_OK;
}

/* A plugin file is named by a path with a '/'; a bare "x.so" is not searched
 * for anywhere (dlopen would search the library path, the current directory
 * is only used when asked for with "./x.so"). */
static int looks_like_path(const char *s)
{
    return strchr(s, '/') != NULL;
}

static int bare_so_name(const char *s)
{
    size_t n = strlen(s);
    return !strchr(s, '/') && n > 3 && !strcmp(s + n - 3, ".so");
}

/* Chooses the best-scored device among plugin `plugin` (-1: any) whose name
 * contains `sub` (NULL: any). */
static int64_t best_device(const seqnn_registry *reg, int64_t plugin, const char *sub, int *any_match)
{
    int64_t best = -1;
    *any_match = 0;
    for (int64_t i = 0; i < reg->n_devices; i++) {
        const seqnn_device_entry *d = &reg->devices[i];
        if (plugin >= 0 && d->plugin != plugin)
            continue;
        if (sub && !strstr(d->info.name, sub))
            continue;
        *any_match = 1;
        if (d->info.score > 0 && (best < 0 || d->info.score > reg->devices[best].info.score))
            best = i;
    }
    return best;
}

seqnn_status seqnn_registry_select(seqnn_registry *reg, const char *spec, int64_t *device,
                                   char *why, size_t why_size)
{
    char scratch[1024];                  /* the reason, logged in full when the caller wants none */
    if (!why) { why = scratch; why_size = sizeof scratch; }
    why[0] = '\0';
    if (!reg || !device)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_registry_select: NULL argument");
    const char *source = "request";
    if (!spec) {
        spec = secure_getenv("SEQNN_BACKEND");
        source = "SEQNN_BACKEND";
    }
    if (!spec || !*spec) {
        int any;
        int64_t best = best_device(reg, -1, NULL, &any);
        if (best < 0)
            return seqnn_set_error(NULL, SEQNN_ERR_NOT_FOUND,
                                   "no usable device: %lld plugins found in %s, none with a device that can run here (see `seqnn info`)",
                                   (long long)reg->n_plugins, reg->searched[0] ? reg->searched : "(no directory)");
        const seqnn_device_entry *d = &reg->devices[best];
        snprintf(why, why_size, "best score %d of %lld devices: %s (%s)", d->info.score,
                 (long long)reg->n_devices, d->info.name, d->info.reason);
        *device = best;
        int64_t after = seqnn_registry_complete_after(reg, best, why, why_size);
        if (after >= 0)
            log_selection("selected a chain: %s", why);
        else
            log_selection("selected %s: %s, %s", reg->plugins[d->plugin].name, d->info.name, why);
        return SEQNN_OK;
    }

    if (strchr(spec, ',')) {             /* a chain (chain.c): checked whole, its first device chosen */
        int64_t devices[SEQNN_CHAIN_MAX];
        int n;
        seqnn_status s = seqnn_registry_select_chain(reg, spec, source, devices, &n, why, why_size);
        if (s == SEQNN_OK)
            *device = devices[0];
        return s;
    }

    /* NAME-or-PATH[:DEVICE]; for a path only a ':' after the last '/' separates */
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", spec);
    char *sub = NULL;
    char *slash = strrchr(buf, '/');
    char *colon = strchr(slash ? slash : buf, ':');
    if (colon) {
        *colon = '\0';
        sub = colon + 1;
        if (!*sub)
            sub = NULL;
    }
    int64_t plugin = -1;
    if (bare_so_name(buf))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "%s=%s: '%s' is a file name, not a plugin name: name a plugin file by a path "
                               "with a '/' (./%s for one in the current directory)", source, spec, buf, buf);
    if (looks_like_path(buf)) {
        char resolved[PATH_MAX];
        const char *rp = realpath(buf, resolved);
        for (int64_t i = 0; rp && i < reg->n_plugins; i++)
            if (reg->plugins[i].loaded && !strcmp(reg->plugins[i].real_path, rp))
                plugin = i;
        if (plugin < 0) {
            seqnn_status s = add_file(reg, buf, 1);   /* named by path: wins over a plugin of its name */
            if (s != SEQNN_OK)
                return seqnn_set_error(NULL, s, "%s=%s: plugin %s rejected: %s", source, spec, buf,
                                       reg->plugins[reg->n_plugins - 1].reason);
            plugin = reg->n_plugins - 1;
        }
    } else {
        const char *rejected = NULL;
        for (int64_t i = 0; i < reg->n_plugins; i++) {
            const seqnn_plugin_entry *e = &reg->plugins[i];
            if (e->loaded && e->name && !strcmp(e->name, buf) && plugin < 0)
                plugin = i;              /* the first of the name (a later one was named by path) */
            else if (!e->loaded) {
                /* a rejected file whose name says it is this plugin: libseqnn-NAME.so */
                const char *base = strrchr(e->path, '/');
                base = base ? base + 1 : e->path;
                if (!strncmp(base, "libseqnn-", 9) && !strncmp(base + 9, buf, strlen(buf)) &&
                    !strcmp(base + 9 + strlen(buf), ".so"))
                    rejected = e->reason;
            }
        }
        if (plugin < 0) {
            if (rejected)
                return seqnn_set_error(NULL, SEQNN_ERR_NOT_FOUND, "%s=%s: plugin '%s' was found but rejected: %s",
                                       source, spec, buf, rejected);
            return seqnn_set_error(NULL, SEQNN_ERR_NOT_FOUND,
                                   "%s=%s: no plugin named '%s' (searched %s; see `seqnn info`)", source, spec,
                                   buf, reg->searched[0] ? reg->searched : "no directory");
        }
    }
    int any;
    int64_t best = best_device(reg, plugin, sub, &any);
    if (best < 0) {
        if (!any)
            return seqnn_set_error(NULL, SEQNN_ERR_NOT_FOUND, "%s=%s: plugin '%s' has no device%s%s%s", source,
                                   spec, reg->plugins[plugin].name, sub ? " whose name contains '" : "",
                                   sub ? sub : "", sub ? "'" : "");
        /* a matching device that cannot run here: say why */
        for (int64_t i = 0; i < reg->n_devices; i++) {
            const seqnn_device_entry *d = &reg->devices[i];
            if (d->plugin == plugin && (!sub || strstr(d->info.name, sub)))
                return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "%s=%s: device '%s' cannot run here: %s",
                                       source, spec, d->info.name, d->info.reason);
        }
    }
    const seqnn_device_entry *d = &reg->devices[best];
    snprintf(why, why_size, "requested by %s=%s (score %d: %s)", source, spec, d->info.score, d->info.reason);
    log_selection("selected %s: %s, %s", reg->plugins[d->plugin].name, d->info.name, why);
    *device = best;
    return SEQNN_OK;
}

/* Boundaries for a plugin that declares none (no structure query: built for
 * ABI 1.0, or a NULL slot): typical blocking of CPU and GPU GEMMs (depth
 * blocks of 256 to 512, 1536 deep; row blocks up to 640; column blocks of
 * about a million packed floats, so about 4600 columns at depth 256), vector
 * widths of 8 and 16 floats, 32- and 64-query attention tiles, a hidden size
 * of 256 split over tasks. */
static const seqnn_boundary default_boundaries[] = {
    {-1, SEQNN_DIM_LANES, 8, "8 floats per vector (AVX2, NEON pairs)"},
    {-1, SEQNN_DIM_LANES, 16, "16 floats per vector (AVX-512, GPU half-warps)"},
    {SEQNN_KERNEL_gemm, SEQNN_DIM_K, 256, "a depth block of 256"},
    {SEQNN_KERNEL_gemm, SEQNN_DIM_K, 512, "a depth block of 512"},
    {SEQNN_KERNEL_gemm, SEQNN_DIM_K, 1536, "a depth of 1536 (three blocks of 512)"},
    {SEQNN_KERNEL_gemm, SEQNN_DIM_M, 64, "a row block of 64"},
    {SEQNN_KERNEL_gemm, SEQNN_DIM_M, 128, "a row block of 128"},
    {SEQNN_KERNEL_gemm, SEQNN_DIM_M, 639, "rows up to 640"},
    {SEQNN_KERNEL_gemm, SEQNN_DIM_N, 64, "a column tile of 64"},
    {SEQNN_KERNEL_gemm, SEQNN_DIM_NK, 1179648, "a column block of 1152 Ki packed floats (n*k; 4608 columns at k=256)"},
    {SEQNN_KERNEL_attention_forward, SEQNN_DIM_QUERIES, 32, "a tile of 32 queries"},
    {SEQNN_KERNEL_attention_forward, SEQNN_DIM_QUERIES, 64, "a tile of 64 queries"},
    {SEQNN_KERNEL_rnn_forward, SEQNN_DIM_HIDDEN, 256, "hidden units split over tasks from 256 on"},
    {SEQNN_KERNEL_rnn_forward, SEQNN_DIM_ROWS, 128, "a row block of 128 in the GEMMs over all steps"},
};

seqnn_status seqnn_context_structure(seqnn_context *ctx, const seqnn_boundary **list, int64_t *count, int *declared)
{
    if (!ctx || !list || !count)
        return seqnn_set_error(ctx, SEQNN_ERR_INVALID_ARG, "seqnn_context_structure: NULL argument");
    if (declared)
        *declared = 0;
    if (ctx->api->structure) {
        const char *plugin = ctx->reg->plugins[ctx->reg->devices[ctx->device].plugin].name;
        seqnn_call call = {ctx->dev, ctx->error, sizeof ctx->error};
        const seqnn_boundary *l = NULL;
        int64_t n = 0;
        ctx->error[0] = '\0';
        seqnn_status s = ctx->api->structure(&call, &l, &n);
        if (s != SEQNN_OK)
            return seqnn_set_error(ctx, s, "structure query of plugin '%s' failed: %s", plugin,
                                   ctx->error[0] ? ctx->error : seqnn_status_name(s));
        if (n < 0 || (n > 0 && !l))
            return seqnn_set_error(ctx, SEQNN_ERR_INTERNAL, "structure query of plugin '%s' returned %lld entries at %p",
                                   plugin, (long long)n, (const void *)l);
        *list = l;
        *count = n;
        if (declared)
            *declared = 1;
        return SEQNN_OK;
    }
    *list = default_boundaries;
    *count = (int64_t)(sizeof default_boundaries / sizeof default_boundaries[0]);
    return SEQNN_OK;
}
