/* Per-device scratch memory of the SIMD plugins (see simd_device.h). */
#include "simd_device.h"

#include <stdlib.h>

float *simd_scratch(simd_device *dev, int slot, size_t count)
{
    if (count == 0)
        count = 1;
    if (dev->capacity[slot] < count) {
        size_t want = count + count / 4;          /* some room to grow */
        size_t bytes = (want * sizeof(float) + 63) / 64 * 64;
        void *p = aligned_alloc(64, bytes);
        if (!p)
            return NULL;
        free(dev->scratch[slot]);
        dev->scratch[slot] = p;
        dev->capacity[slot] = want;
    }
    return dev->scratch[slot];
}

void simd_device_free_scratch(simd_device *dev)
{
    for (int i = 0; i < SIMD_SCRATCH_SLOTS; i++) {
        free(dev->scratch[i]);
        dev->scratch[i] = NULL;
        dev->capacity[i] = 0;
    }
}
