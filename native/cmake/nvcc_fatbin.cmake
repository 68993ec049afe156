# Runs nvcc for the fatbin, keeps the ptxas report (registers, shared memory, spills) in a file,
# prints it into the build log, and fails the build on a compile error or on unexplained spills.
execute_process(
  COMMAND "${NVCC}" ${ARGS} -o "${OUT}" "${SRC}"
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
file(WRITE "${REPORT}" "${out}${err}")
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nvcc failed (exit ${rc}); see the messages above")
endif()
