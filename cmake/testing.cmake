# SPDX-License-Identifier: MIT
# Test registration helpers: one CMocka executable per test file, and shell-driven integration
# tests that get the build's tool paths through the environment.
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)

# spheresim_add_unit_test(NAME n SOURCES s... [LIBS l...])
function(spheresim_add_unit_test)
    cmake_parse_arguments(T "" "NAME" "SOURCES;LIBS" ${ARGN})
    add_executable(${T_NAME} ${T_SOURCES})
    target_link_libraries(${T_NAME} PRIVATE PkgConfig::CMOCKA ${T_LIBS})
    spheresim_warnings(${T_NAME})
    add_test(NAME ${T_NAME} COMMAND ${T_NAME})
    set_tests_properties(${T_NAME} PROPERTIES LABELS unit TIMEOUT 60)
endfunction()

# spheresim_add_script_test(NAME n SCRIPT path [TIMEOUT s])
function(spheresim_add_script_test)
    cmake_parse_arguments(T "" "NAME;SCRIPT;TIMEOUT" "" ${ARGN})
    if(NOT T_TIMEOUT)
        set(T_TIMEOUT 120)
    endif()
    add_test(NAME ${T_NAME} COMMAND bash ${T_SCRIPT})
    set_tests_properties(${T_NAME} PROPERTIES LABELS integration TIMEOUT ${T_TIMEOUT}
        ENVIRONMENT "SPHERESIM=$<TARGET_FILE:spheresim>;SPHERESIM_BUILD_DIR=${CMAKE_BINARY_DIR};SPHERESIM_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endfunction()
