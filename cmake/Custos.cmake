# custos_library(NAME src... LINK lib...): a static library custos_NAME that
# the tests, fuzzers and programs all link.
function(custos_library name)
	cmake_parse_arguments(A "" "" "LINK" ${ARGN})
	add_library(custos_${name} STATIC ${A_UNPARSED_ARGUMENTS})
	target_link_libraries(custos_${name} PUBLIC ${A_LINK})
	set_property(GLOBAL APPEND PROPERTY CUSTOS_LIBS custos_${name})
endfunction()
