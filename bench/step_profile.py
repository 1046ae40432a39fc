"""Where a training step of the main job's model goes: the perf samples taken
inside seqnn_model_train_step, sorted into the parts of the step by the
functions on their stacks (the SIMD plugins' names: rnn_forward_run,
simd_sgemm_pair, gemm_pack_a_block, dropout_task, ...), as a Markdown table
with one column per profile. Run with /usr/bin/python3 (standard library only).

Record each profile with whole stacks (a deep enough copy of the stack, or
samples lose the frames that name their part):
  perf record -e cpu-clock -F 1999 --call-graph dwarf,60000 -o P.data \
      build/bin/seqnn bench model examples/charlm/model.seqnn --plugin avx512 \
      --peers none --threads 1 --clock cpu --reps 20
  perf script -i P.data > P.txt
then: /usr/bin/python3 bench/step_profile.py "avx512 before=P0.txt" "avx512 after=P.txt"

The first (warm-up) step's page faults are a row of their own: later steps
take none (the process's page faults do not grow with --reps)."""
import collections
import re
import sys


def samples(path):
    """Each sample of `perf script` output as its list of function names, leaf first."""
    with open(path, encoding='utf-8', errors='replace') as f:
        for block in f.read().split('\n\n'):
            frames = []
            for line in block.strip().split('\n')[1:]:
                parts = line.strip().split(None, 1)
                if len(parts) == 2:
                    frames.append(re.sub(r'\+0x[0-9a-f]+ .*', '', parts[1]))
            if frames:
                yield frames


def gemm_part(names):
    """Which part of a GEMM call a sample is in."""
    if any(f.startswith('gemm_pack_a') for f in names):
        return 'pack A'
    if 'gemm_micro' in names or 'gemm_micro_rows' in names or 'gemm_micro_inplace' in names:
        return 'micro-kernel'
    if any(f.startswith('gemm_pack_b') for f in names):
        return 'pack B'
    return 'driver, B packed just in time'


def part(frames):
    """The part of the step a sample's stack belongs to."""
    s = set(frames)
    if 'exc_page_fault' in s or 'asm_exc_page_fault' in s:
        return 'first-touch page faults (the warm-up step)'
    if 'rnn_backward_run' in s:
        if 'simd_sgemm_pair' in s:
            return 'LSTM bwd: dW_ih, dW_hh (one GEMM, M=1024 N=48+256 K=3200, A = dG^T): ' + gemm_part(s)
        if 'simd_sgemm' in s:
            return 'LSTM bwd: dx = dG W_ih (M=3200 N=48 K=1024): ' + gemm_part(s)
        if 'simd_gemm_tile' in s:
            return 'LSTM bwd: per-step dh GEMM tiles'
        if 'rnn_bwd_task_step' in s:
            return 'LSTM bwd: per-step cell gradients'
        return 'LSTM bwd: other (W_hh packing, state packing)'
    if 'rnn_forward_run' in s:
        if 'simd_sgemm' in s:
            return 'LSTM fwd: input GEMM (M=3200 N=1024 K=48): ' + gemm_part(s)
        if 'simd_gemm_tile' in s:
            return 'LSTM fwd: per-step GEMM tiles'
        if 'rnn_fwd_task' in s or 'rnn_fwd_task0' in s:
            return 'LSTM fwd: cell math'
        return 'LSTM fwd: other (W_hh packing, state packing)'
    if 'dropout_run' in s or 'dropout_task' in s:
        return 'dropout forward + backward'
    if 'dense_forward' in s or 'dense_backward' in s:
        return 'dense forward + backward (GEMMs, bias)'
    if any('xent' in f for f in s):
        return 'softmax cross-entropy'
    if any('embedding' in f for f in s):
        return 'embedding'
    if 'fe_optim_step' in s or any('sumsq' in f or 'clip' in f for f in s):
        return 'clipping (sumsq, scale) + Adam'
    return 'frontend and the rest (bookkeeping, argument checks)'


def main(args):
    if not args:
        sys.exit(__doc__)
    columns = [a.split('=', 1) if '=' in a else (a, a) for a in args]
    results, total = [], collections.Counter()
    for _, path in columns:
        counts, n = collections.Counter(), 0
        for frames in samples(path):
            if 'seqnn_model_train_step' in frames:
                counts[part(frames)] += 1
                n += 1
        results.append((counts, n))
        for k, v in counts.items():
            total[k] += v / max(n, 1)
    # parts under 0.5% in every profile: one row
    small = [k for k in total if all(c[k] < 0.005 * n for c, n in results)]
    for c, _ in results:
        c['parts under 0.5% in every profile'] = sum(c.pop(k, 0) for k in small)
        total['parts under 0.5% in every profile'] = -1
    for k in small:
        del total[k]
    print('| part of the step | ' + ' | '.join(label for label, _ in columns) + ' |')
    print('|---|' + '---|' * len(columns))
    for k, _ in sorted(total.items(), key=lambda kv: -kv[1]):
        print(f'| {k} | ' + ' | '.join(f'{100 * c[k] / max(n, 1):.1f}%' for c, n in results) + ' |')
    print('| samples in the step | ' + ' | '.join(str(n) for _, n in results) + ' |')


if __name__ == '__main__':
    main(sys.argv[1:])
