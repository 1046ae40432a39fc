# Data-parallel training over MPI (docs/distributed.md), when the configure
# found MPI and mpirun: tests/test_mpi.c under 2 and 3 ranks (one distributed
# model against one process: step-1 gradients, loss curves, evaluation, shards
# given by the caller, the parameter checksum, uneven shards, a batch too
# small, the options' size, a stop flag) and tests/test_mpi_cli.sh (`seqnn train` under mpirun: byte-identical
# checkpoints from the same N and under other collective algorithms, N = 2
# against N = 1, checkpoints resumed under other N, trees, failures on one
# rank, a rank killed and the job resumed, a rank interrupted and every rank
# stopping after the same step).
# Without MPI: seqnn train under a launcher refuses.
# Running as root needs Open MPI's consent (OMPI_ALLOW_RUN_AS_ROOT*); ranks
# share this machine's cores (--oversubscribe). Included from tests/CMakeLists.txt.
if(SEQNN_HAVE_MPI AND MPIEXEC_EXECUTABLE)
    add_executable(test_mpi "${CMAKE_CURRENT_LIST_DIR}/test_mpi.c")
    target_link_libraries(test_mpi PRIVATE seqnn MPI::MPI_C m)
    set_target_properties(test_mpi PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
    add_dependencies(test_mpi seqnn-plugins)
    # Sanitizer builds: Open MPI keeps memory after MPI_Finalize; its components stay loaded
    # (disable_dlclose) and stacks are unwound in full so that tests/test_mpi_lsan.supp can name it.
    set(seqnn_mpi_env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
                      OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
                      OMPI_MCA_mca_base_component_disable_dlclose=1
                      "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/test_mpi_lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0")
    foreach(n 2 3)
        add_test(NAME mpi_train_${n} COMMAND "${MPIEXEC_EXECUTABLE}" --oversubscribe -np ${n} $<TARGET_FILE:test_mpi>)
        set_tests_properties(mpi_train_${n} PROPERTIES ENVIRONMENT "${seqnn_mpi_env}" TIMEOUT 120)
    endforeach()
    # Sanitizer builds (seconds per mpirun) run the script's sample: it says which runs it leaves out.
    add_test(NAME mpi_cli COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/test_mpi_cli.sh" $<TARGET_FILE:seqnn-cli>
                                  "${MPIEXEC_EXECUTABLE}" "${CMAKE_CURRENT_BINARY_DIR}/mpi_cli_work"
                                  $<$<BOOL:${SEQNN_SANITIZE}>:sample>)
    set_tests_properties(mpi_cli PROPERTIES ENVIRONMENT "${seqnn_mpi_env}" TIMEOUT 300)
elseif(NOT SEQNN_HAVE_MPI)
    # Built without MPI: `seqnn train` started by a launcher of 2 processes (its environment
    # variable set by hand) refuses, saying how to build with MPI.
    add_test(NAME mpi_refused_without_mpi COMMAND seqnn-cli train model.seqnn --data absent.txt)
    set_tests_properties(mpi_refused_without_mpi PROPERTIES ENVIRONMENT OMPI_COMM_WORLD_SIZE=2
                         PASS_REGULAR_EXPRESSION "built without MPI.*libopenmpi-dev")
endif()
