# The repository stands alone (tests/test_standalone.sh): no tracked file cites
# tracker numbers, pages kept outside the repository or paths outside the
# checkout. Included by tests/CMakeLists.txt.
add_test(NAME docs_stand_alone COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/test_standalone.sh" "${PROJECT_SOURCE_DIR}")
