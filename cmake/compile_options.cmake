# SPDX-License-Identifier: MIT
# Warnings and sanitizers for the project's own targets. Applied per target so that a user's app
# built with spheresim_add_app keeps the flags its author chose.
# glibc extensions (pipe2, accept4, sigabbrev_np, …) are part of the host platform we target.
add_compile_definitions(_GNU_SOURCE)

set(SPHERESIM_WARNINGS -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter)

if(SPHERESIM_SANITIZE)
    add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()

# Fuzzing: every library the fuzz targets link gets coverage instrumentation and the sanitizers,
# so libFuzzer can steer into the parsers and a memory error anywhere is a crash. The fuzzer's own
# main is linked only into the targets in fuzz/.
if(SPHERESIM_FUZZ)
    if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
        message(FATAL_ERROR "SPHERESIM_FUZZ needs clang for libFuzzer; "
                            "configure with the fuzz preset or -DCMAKE_C_COMPILER=clang")
    endif()
    add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                        -fno-sanitize-recover=undefined)
    add_link_options(-fsanitize=address,undefined)
endif()

function(spheresim_warnings target)
    target_compile_options(${target} PRIVATE ${SPHERESIM_WARNINGS})
endfunction()
