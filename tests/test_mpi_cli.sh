#!/bin/sh
# `seqnn train` under mpirun: the same N twice writes byte-identical
# checkpoints; N = 2 follows N = 1 (the logged losses within the
# backends-agree budget, 1e-4 + 1e-3 |loss|); only rank 0 writes the log and
# prints; a checkpoint written under N = 2 resumes under N = 1 and continues
# the step count as under N = 2; 3 ranks over a batch of 4 (uneven shards)
# follow N = 1; a batch of 2 over 3 ranks stops the job with the reason
# (a rank without sequences); a rank killed with SIGKILL ends the job
# non-zero within 30 seconds.
# usage: test_mpi_cli.sh SEQNN_BINARY MPIRUN WORK_DIR
set -u
seqnn=$1
mpirun=$2
work=$3
case $seqnn in /*) ;; *) seqnn=$PWD/$seqnn ;; esac
. "$(dirname "$0")/cli_helpers.sh"
make_text text.txt
model() {    # model STEPS
    printf 'seqnn 1\ninput tokens vocab=$vocab\nembedding dim=8\nlstm hidden=16\ndense out=$vocab\n'
    printf 'optimizer adam lr=0.01\ntrain batch=4 seq_len=8 epochs=100 steps=%s eval_every=5 val=0.1 seed=3\n' "$1"
}
common="--data text.txt --backend ref --sample 0"
mpi() { n=$1; shift; "$mpirun" --oversubscribe -np "$n" "$seqnn" "$@"; }
# within LOG_A LOG_B: every logged train and validation loss of A within the budget of B's
within() {
    paste -d, "$1" "$2" | tail -n +2 | awk -F, '
        function bad(a, b) { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; return d > 1e-4 + 1e-3 * m }
        { n++; if ($1 != $9 || bad($3, $11) || bad($4, $12)) { print "step " $1 ": " $3 "," $4 " against " $11 "," $12; e++ } }
        END { exit (e > 0 || n == 0) }'
}

model 20 > lm.seqnn
"$seqnn" train lm.seqnn $common --out one.safetensors --log one.csv > one.out 2> one.err || bad "N=1: $(tail -3 one.err)"
mpi 2 train lm.seqnn $common --out two.safetensors --log two.csv > two.out 2> two.err || bad "N=2: $(tail -3 two.err)"
mpi 2 train lm.seqnn $common --out again.safetensors > again.out 2> again.err || bad "N=2 again: $(tail -3 again.err)"
cmp -s two.safetensors again.safetensors || bad "N=2 twice: the checkpoints differ"
cmp -s two-last.safetensors again-last.safetensors || bad "N=2 twice: the last checkpoints differ"
within two.csv one.csv || bad "N=2 does not follow N=1 (losses above)"
[ "$(grep -c '^validation' two.out)" = 1 ] || bad "N=2: the final validation is not printed once: $(cat two.out)"
[ "$(grep -c '^trained 20 steps' two.err)" = 1 ] || bad "N=2: not only rank 0 prints: $(grep trained two.err)"

# A checkpoint of N = 2 at step 10, resumed under N = 1 and under N = 2 to step 20.
model 10 > lm10.seqnn
mpi 2 train lm10.seqnn $common --out part.safetensors > part.out 2> part.err || bad "N=2 to 10: $(tail -3 part.err)"
"$seqnn" train lm.seqnn $common --resume part-last.safetensors --out r1.safetensors --log r1.csv > r1.out 2> r1.err ||
    bad "resume under N=1: $(tail -3 r1.err)"
mpi 2 train lm.seqnn $common --resume part-last.safetensors --out r2.safetensors --log r2.csv > r2.out 2> r2.err ||
    bad "resume under N=2: $(tail -3 r2.err)"
[ "$(tail -1 r1.csv | cut -d, -f1)" = 20 ] || bad "resumed under N=1: the log does not end at step 20: $(cat r1.csv)"
within r1.csv r2.csv || bad "resumed under N=1 does not follow N=2 (losses above)"

# 3 ranks, a batch of 4: shards of 1, 1 and 2 sequences, following N = 1; a batch of 2
# leaves a rank without any: refused with the reason.
mpi 3 train lm.seqnn $common --out three.safetensors --log three.csv > three.out 2> three.err ||
    bad "N=3: $(tail -3 three.err)"
within three.csv one.csv || bad "N=3 (uneven shards) does not follow N=1 (losses above)"
mpi 3 train lm.seqnn $common --batch 2 --out none.safetensors > none.out 2> none.err && bad "batch 2 over 3 ranks ran"
grep -q "leaves rank 0 of 3 without any" none.err || bad "batch 2 over 3 ranks: no reason given: $(tail -5 none.err)"

# SIGKILL of one rank: the job ends non-zero within 30 s.
model 1000000 > long.seqnn
"$mpirun" --oversubscribe -np 2 "$seqnn" train long.seqnn $common --out long.safetensors > long.out 2> long.err &
job=$!
t=0
ranks=""
while [ $t -lt 50 ] && [ "$(echo $ranks | wc -w)" -lt 2 ]; do
    sleep 0.2
    ranks=$(pgrep -P $job -x seqnn)
    t=$((t + 1))
done
if [ "$(echo $ranks | wc -w)" -lt 2 ]; then
    bad "SIGKILL: the ranks of mpirun $job were not found"
    kill $job
else
    sleep 1
    kill -9 $(echo $ranks | cut -d' ' -f2)
    t=0
    while kill -0 $job 2>/dev/null && [ $t -lt 300 ]; do sleep 0.1; t=$((t + 1)); done
    if kill -0 $job 2>/dev/null; then
        bad "SIGKILL: the job still runs 30 s after a rank was killed"
        kill $job
    elif wait $job; then
        bad "SIGKILL: the job exited 0 after a rank was killed"
    fi
fi
[ $fails -eq 0 ] && echo "PASS: mpirun seqnn train"
exit $((fails > 0))
