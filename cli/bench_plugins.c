/* The plugins `seqnn bench` runs and how their rows are labelled: the
 * --plugin list (names or plugin file paths) or every loaded plugin, each
 * resolved to the name the plugin gives itself and to the vector ISA its
 * device reports, which picks the FMA peak its rows are divided by. */
#include <ctype.h>
#include <string.h>
#include "bench.h"
#include "seqnn/seqnn.h"

/* 1 when s contains word, ignoring case */
static int has_word(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++) {
        size_t i = 0;
        while (i < n && s[i] && tolower((unsigned char)s[i]) == tolower((unsigned char)word[i]))
            i++;
        if (i == n)
            return 1;
    }
    return 0;
}

/* p->name and p->isa_bits from a context on p->spec; when none opens, the
 * label stays the spec (its rows then say why it did not run). */
static void plugin_resolve(bench_plugin *p)
{
    seqnn_context *ctx = NULL;
    seqnn_device_record dev;
    bench_copy_str(p->name, sizeof p->name, p->spec);
    p->isa_bits = 0;
    if (seqnn_context_create(p->spec, &ctx) != SEQNN_OK)
        return;
    if (seqnn_context_device(ctx, &dev) == SEQNN_OK) {
        const char *reason = dev.reason ? dev.reason : "";
        if (dev.plugin_name)
            bench_copy_str(p->name, sizeof p->name, dev.plugin_name);
        if (has_word(dev.name, "avx-512") || has_word(dev.name, "avx512") || has_word(reason, "avx-512"))
            p->isa_bits = 512;
        else if (has_word(dev.name, "avx2") || has_word(reason, "avx2"))
            p->isa_bits = 256;
    }
    seqnn_context_destroy(ctx);
}

int bench_select_plugins(const char *list, bench_plugin *out, int max)
{
    int n = 0;
    if (list[0]) {
        for (const char *p = list; *p && n < max;) {
            const char *e = strchr(p, ',');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            size_t keep = len < sizeof out[n].spec ? len : sizeof out[n].spec - 1;
            memcpy(out[n].spec, p, keep);
            out[n].spec[keep] = '\0';
            plugin_resolve(&out[n++]);
            p = e ? e + 1 : p + len;
        }
        return n;
    }
    seqnn_registry *reg = NULL;
    if (seqnn_registry_open(&reg) != SEQNN_OK)
        return 0;
    for (int64_t i = 0; i < seqnn_registry_plugin_count(reg) && n < max; i++) {
        seqnn_plugin_record rec;
        if (seqnn_registry_plugin(reg, i, &rec) != SEQNN_OK || !rec.loaded || !rec.name)
            continue;
        int dup = 0;
        for (int j = 0; j < n; j++)
            dup |= !strcmp(out[j].spec, rec.name);
        if (!dup) {
            bench_copy_str(out[n].spec, sizeof out[n].spec, rec.name);
            plugin_resolve(&out[n++]);
        }
    }
    seqnn_registry_close(reg);
    return n;
}

double bench_plugin_peak(const double *peak, const bench_plugin *p)
{
    return p->isa_bits == 512 ? peak[1] : p->isa_bits == 256 ? peak[0] : 0;
}

void bench_plugin_peaks_line(const bench_plugin *plugins, int n)
{
    printf("  peak of each plugin row, by the ISA its device reports:");
    for (int i = 0; i < n; i++)
        printf("%s %s %s", i ? "," : "", plugins[i].name,
               plugins[i].isa_bits ? (plugins[i].isa_bits == 512 ? "512-bit" : "256-bit") : "peak unknown");
    printf("\n");
}
