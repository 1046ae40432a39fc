#!/bin/sh
# `seqnn train` under mpirun: the same N twice writes byte-identical
# checkpoints, and so do 3 ranks under other collective algorithms of Open
# MPI (forced through its tuned component: the gradient sums' order is
# seqnn's own); N = 2 follows N = 1 (the logged losses within the
# backends-agree budget, 1e-4 + 1e-3 |loss|); only rank 0 writes the log and
# prints; --batch-per-rank 2 on 2 ranks is --batch 4; a checkpoint written
# under N = 2 resumes under N = 2 to the uninterrupted run's bytes, and under
# N = 1 and 3 following the N = 2 continuation, one of N = 3 under N = 2
# following the N = 3 one; 3 ranks over a batch of 4 (uneven shards) follow
# N = 1; tree batches (--format tree) under 2 ranks follow N = 1; a batch of
# 2 over 3 ranks stops the job with the reason (a rank without sequences); a
# backend that fails to open on one rank stops every rank with one message
# naming the rank and the reason; a rank killed with SIGKILL ends the job
# non-zero within 30 seconds, its last checkpoint resumes, and the resumed
# job ends with the uninterrupted run's checkpoints, byte for byte; SIGINT
# of one rank alone stops every rank after the same step (exit status 130,
# no MPI_Abort, one message), and its last checkpoint resumes alike; --time
# with a different limit on each rank ends every rank after the same step,
# with the checkpoints of a --steps run that long.
# With "sample" (sanitizer builds, where every mpirun costs seconds) the
# runs that repeat a path already covered are left out: the forced
# collective algorithms, --batch-per-rank and N = 3's checkpoint under N = 2.
# usage: test_mpi_cli.sh SEQNN_BINARY MPIRUN WORK_DIR [sample]
set -u
seqnn=$1
mpirun=$2
work=$3
full=1
[ "${4:-}" = sample ] && full=0
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
if [ $full = 1 ]; then
    mpi 2 train lm.seqnn $common --batch-per-rank 2 --out per.safetensors > per.out 2> per.err ||
        bad "--batch-per-rank 2: $(tail -3 per.err)"
    cmp -s two.safetensors per.safetensors || bad "--batch-per-rank 2 over 2 ranks is not --batch 4"
fi
"$seqnn" train lm.seqnn $common --batch 4 --batch-per-rank 2 > both.out 2> both.err && bad "--batch with --batch-per-rank ran"
grep -q "not both" both.err || bad "--batch with --batch-per-rank: no reason given: $(cat both.err)"

# A checkpoint of N = 2 at step 10, resumed under N = 1 and under N = 2 to step 20.
model 10 > lm10.seqnn
mpi 2 train lm10.seqnn $common --out part.safetensors > part.out 2> part.err || bad "N=2 to 10: $(tail -3 part.err)"
"$seqnn" train lm.seqnn $common --resume part-last.safetensors --out r1.safetensors --log r1.csv > r1.out 2> r1.err ||
    bad "resume under N=1: $(tail -3 r1.err)"
mpi 2 train lm.seqnn $common --resume part-last.safetensors --out r2.safetensors --log r2.csv > r2.out 2> r2.err ||
    bad "resume under N=2: $(tail -3 r2.err)"
mpi 3 train lm.seqnn $common --resume part-last.safetensors --out r3.safetensors --log r3.csv > r3.out 2> r3.err ||
    bad "resume under N=3: $(tail -3 r3.err)"
[ "$(tail -1 r1.csv | cut -d, -f1)" = 20 ] || bad "resumed under N=1: the log does not end at step 20: $(cat r1.csv)"
[ "$(tail -1 r3.csv | cut -d, -f1)" = 20 ] || bad "resumed under N=3: the log does not end at step 20: $(cat r3.csv)"
cmp -s r2-last.safetensors two-last.safetensors || bad "N=2 resumed under N=2: not the uninterrupted run's checkpoint"
within r1.csv r2.csv || bad "resumed under N=1 does not follow N=2 (losses above)"
within r3.csv r2.csv || bad "resumed under N=3 does not follow N=2 (losses above)"
# A checkpoint of N = 3 at step 10, resumed under N = 2 and under N = 3.
if [ $full = 1 ]; then
    mpi 3 train lm10.seqnn $common --out part3.safetensors > part3.out 2> part3.err ||
        bad "N=3 to 10: $(tail -3 part3.err)"
    for n in 2 3; do
        mpi $n train lm.seqnn $common --resume part3-last.safetensors --out s$n.safetensors --log s$n.csv > s$n.out \
            2> s$n.err || bad "N=3's checkpoint resumed under N=$n: $(tail -3 s$n.err)"
    done
    within s2.csv s3.csv || bad "N=3's checkpoint resumed under N=2 does not follow N=3 (losses above)"
fi

# 3 ranks, a batch of 4: shards of 1, 1 and 2 sequences, following N = 1; a batch of 2
# leaves a rank without any: refused with the reason.
mpi 3 train lm.seqnn $common --out three.safetensors --log three.csv > three.out 2> three.err ||
    bad "N=3: $(tail -3 three.err)"
within three.csv one.csv || bad "N=3 (uneven shards) does not follow N=1 (losses above)"
# Open MPI's MPI_Allreduce adds in an order that depends on the algorithm it picks (forced here:
# basic linear or ring); the gradients' sums do not.
tuned() {    # tuned ALLREDUCE ALLTOALLV ALLGATHERV OUT
    OMPI_MCA_coll_tuned_use_dynamic_rules=1 OMPI_MCA_coll_tuned_allreduce_algorithm=$1 \
    OMPI_MCA_coll_tuned_alltoallv_algorithm=$2 OMPI_MCA_coll_tuned_allgatherv_algorithm=$3 \
        mpi 3 train lm.seqnn $common --out "$4" > "$4.out" 2> "$4.err" || bad "N=3, algorithms $1 $2 $3: $(tail -3 "$4.err")"
    cmp -s three.safetensors "$4" || bad "N=3 under the collective algorithms $1 $2 $3: other bytes"
}
if [ $full = 1 ]; then
    tuned 1 1 3 algo1.safetensors
    tuned 4 2 2 algo2.safetensors
fi
mpi 3 train lm.seqnn $common --batch 2 --out none.safetensors > none.out 2> none.err && bad "batch 2 over 3 ranks ran"
[ "$(grep -c "rank 0 of 3: distributed: no sequences in this rank's shard" none.err)" = 1 ] ||
    bad "batch 2 over 3 ranks: not one message naming the rank and the reason: $(cat none.err)"
grep -q "MPI_ABORT" none.err && bad "batch 2 over 3 ranks: the ranks did not agree to stop (MPI_Abort)"

# Trees: each rank takes its sequences' rows of the batch's trees.
"$seqnn" data listops trees.txt --n 200 --seed 5 2> gen.err || bad "listops: $(cat gen.err)"
printf 'seqnn 1\ninput tokens vocab=$vocab\nembedding dim=8\ntree cell=lstm hidden=12\ndense out=$classes\n' > tree.seqnn
printf 'optimizer adam lr=0.01\ntrain batch=6 seq_len=0 epochs=10 steps=12 eval_every=4 val=0.1 seed=2\n' >> tree.seqnn
tree="--data trees.txt --format tree --backend ref"
"$seqnn" train tree.seqnn $tree --out t1.safetensors --log t1.csv > t1.out 2> t1.err || bad "trees, N=1: $(tail -3 t1.err)"
mpi 2 train tree.seqnn $tree --out t2.safetensors --log t2.csv > t2.out 2> t2.err || bad "trees, N=2: $(tail -3 t2.err)"
within t2.csv t1.csv || bad "trees: N=2 does not follow N=1 (losses above)"

# A backend that fails to open on rank 1 alone: every rank stops, rank 0 says which and why.
"$mpirun" --oversubscribe -np 1 "$seqnn" train lm.seqnn $common --out dev.safetensors : \
    -np 1 "$seqnn" train lm.seqnn --data text.txt --backend nosuch --sample 0 --out dev.safetensors > dev.out 2> dev.err &&
    bad "a backend failing on rank 1: the job succeeded"
[ "$(grep -c 'rank 1 of 2 could not start: .*nosuch.*; all 2 ranks stop' dev.err)" = 1 ] ||
    bad "a backend failing on rank 1: not one message naming the rank and the reason: $(cat dev.err)"
[ ! -e dev.safetensors ] || bad "a backend failing on rank 1: rank 0 trained and wrote a checkpoint"

# SIGKILL of one rank once a checkpoint is written: the job ends non-zero within 30 s; its last
# checkpoint resumes, and the resumed job ends with the checkpoints of a run never interrupted.
# SIGINT (Ctrl-C) of one rank alone: every rank stops after the same step (the step's exchange
# tells them all), the job ends with 130 within 30 s without MPI_Abort, rank 0 says so once,
# and its last checkpoint resumes to the same bytes.
# 400 steps (about a second and a half on one core): the first checkpoint comes at step 5, so
# the signal lands well before the end however fast the machine.
long_steps=400
model $long_steps > long.seqnn
mpi 2 train long.seqnn $common --out straight.safetensors > straight.out 2> straight.err ||
    bad "N=2, $long_steps steps: $(tail -3 straight.err)"
# interrupt NAME SIGNAL: the long run (out NAME.safetensors, log NAME.csv, stderr NAME.err) given
# SIGNAL on its second rank once its first checkpoint is written; job: mpirun's exit status
# ("" when the job never ended), killed_at: the log's last step. Non-zero when nothing was sent.
interrupt() {
    "$mpirun" --oversubscribe -np 2 "$seqnn" train long.seqnn $common --out "$1.safetensors" --log "$1.csv" \
        > "$1.out" 2> "$1.err" &
    pid=$!
    t=0
    ranks=""
    while [ $t -lt 600 ] && { [ "$(echo $ranks | wc -w)" -lt 2 ] || [ ! -s "$1-last.safetensors" ]; }; do
        sleep 0.05
        ranks=$(pgrep -P $pid -x seqnn)
        t=$((t + 1))
    done
    job=""
    if [ "$(echo $ranks | wc -w)" -lt 2 ] || [ ! -s "$1-last.safetensors" ]; then
        bad "SIG$2: the ranks of mpirun $pid or their first checkpoint were not found"
        kill $pid
        return 1
    fi
    kill -s "$2" $(echo $ranks | cut -d' ' -f2)
    t=0
    while kill -0 $pid 2>/dev/null && [ $t -lt 300 ]; do sleep 0.1; t=$((t + 1)); done
    if kill -0 $pid 2>/dev/null; then
        bad "SIG$2: the job still runs 30 s after a rank was signalled"
        kill $pid
    else
        wait $pid
        job=$?
    fi
    killed_at=$(tail -1 "$1.csv" | cut -d, -f1)
    [ "$killed_at" -lt $long_steps ] 2>/dev/null || bad "SIG$2: the signal came after the run's end (step $killed_at)"
}
# resumed NAME SIGNAL: NAME's last checkpoint resumed to the end: the uninterrupted run's checkpoints
resumed() {
    mpi 2 train long.seqnn $common --resume "$1-last.safetensors" --out "$1.safetensors" > "$1-resumed.out" \
        2> "$1-resumed.err" || bad "SIG$2: resuming from the last checkpoint (step $killed_at): $(tail -3 "$1-resumed.err")"
    cmp -s "$1-last.safetensors" straight-last.safetensors ||
        bad "SIG$2 at step $killed_at, resumed: not the uninterrupted run's last checkpoint"
    cmp -s "$1.safetensors" straight.safetensors ||
        bad "SIG$2 at step $killed_at, resumed: not the uninterrupted run's best checkpoint"
}
if interrupt long KILL; then
    [ "$job" != 0 ] || bad "SIGKILL: the job exited 0 after a rank was killed"
    resumed long KILL
fi
if interrupt int INT; then
    [ "$job" = 130 ] || bad "SIGINT of one rank: exit status $job, not 130: $(tail -3 int.err)"
    grep -q "MPI_ABORT\|stops the job" int.err && bad "SIGINT of one rank: the ranks did not stop together: $(cat int.err)"
    [ "$(grep -c '^interrupted at step [0-9]* (SIGINT, every rank at this step)' int.err)" = 1 ] ||
        bad "SIGINT of one rank: not one line saying every rank stopped: $(cat int.err)"
    resumed int INT
fi
# --time: the ranks' clocks may disagree on the last step (here the extreme: rank 0 has 1 s, rank
# 1 1000 s); the step's exchange carries the decision, so every rank ends after the same step
# (without it rank 0 validates while rank 1 trains on, and the job hangs): the job ends within
# 60 s, and its checkpoints are, byte for byte, those of a run of that many steps (--steps S).
model 1000000 > timed.seqnn
timeout 60 "$mpirun" --oversubscribe -np 1 "$seqnn" train timed.seqnn $common --time 1 --out timed.safetensors \
    --log timed.csv : -np 1 "$seqnn" train timed.seqnn $common --time 1000 --out timed.safetensors --log timed.csv \
    > timed.out 2> timed.err || bad "--time 1 on rank 0, 1000 on rank 1: exit status $?: $(tail -3 timed.err)"
timed_at=$(tail -1 timed.csv | cut -d, -f1)
[ "$timed_at" -lt 1000000 ] 2>/dev/null || bad "--time: the run did not stop on time (log: $(tail -1 timed.csv))"
[ "$(grep -c "^trained $timed_at steps" timed.err)" = 1 ] || bad "--time: not one 'trained $timed_at steps': $(cat timed.err)"
mpi 2 train timed.seqnn $common --steps "$timed_at" --out steps.safetensors > steps.out 2> steps.err ||
    bad "--steps $timed_at: $(tail -3 steps.err)"
cmp -s timed.safetensors steps.safetensors && cmp -s timed-last.safetensors steps-last.safetensors ||
    bad "--time ended at step $timed_at: not the checkpoints of --steps $timed_at"
[ $fails -eq 0 ] && echo "PASS: mpirun seqnn train"
exit $((fails > 0))
