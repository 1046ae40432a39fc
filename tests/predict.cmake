# `seqnn predict` for every data format, `seqnn generate`'s decoding options
# and word-level language models, end to end on tiny data sets
# (tests/test_predict.sh; about 20 s: it trains six small models). Included
# from tests/CMakeLists.txt.
add_test(NAME cli_predict COMMAND sh "${CMAKE_CURRENT_LIST_DIR}/test_predict.sh" $<TARGET_FILE:seqnn-cli>
                                  "${CMAKE_CURRENT_BINARY_DIR}/predict_work")
set_tests_properties(cli_predict PROPERTIES TIMEOUT 300)
