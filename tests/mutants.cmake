# The mutant suite's CI sample (scripts/mutants.sh): a deterministic sample of
# the wrong kernels in tests/mutants, each built into a scratch copy of the
# plugin and run through the conformance suite, which must reject it. The
# scratch tree lives in <build>/mutants (configured and built once, then
# incremental). Not under the sanitizers: the mutants are about results.
if(NOT SEQNN_SANITIZE AND TARGET seqnn-avx2)
    set(SEQNN_MUTANT_SAMPLE 10 CACHE STRING "mutants in the CTest sample of the mutant suite")
    add_test(NAME mutants_sample
             COMMAND sh "${PROJECT_SOURCE_DIR}/scripts/mutants.sh" --sample ${SEQNN_MUTANT_SAMPLE}
                     --budget 300 --dir "${CMAKE_BINARY_DIR}/mutants")
    set_tests_properties(mutants_sample PROPERTIES TIMEOUT 900 LABELS mutants)
endif()
# Every patch must still apply to the tree (a mutant outside the sample above
# would otherwise rot unnoticed): git apply --check of all of them, no build.
add_test(NAME mutants_apply COMMAND sh "${PROJECT_SOURCE_DIR}/scripts/mutants.sh" --check)
set_tests_properties(mutants_apply PROPERTIES LABELS mutants)
