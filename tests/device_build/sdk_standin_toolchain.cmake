# SPDX-License-Identifier: MIT
# A stand-in for the Azure Sphere SDK's CMake toolchain, so that device_app's DEVICE_HAL=azsphere
# branch is configured and compiled in CI, where the SDK cannot be installed. It is not the SDK:
#   - the compiler is a Debian cross or musl compiler instead of the SDK's
#     arm-poky-linux-musleabi-gcc (SDK_STANDIN_COMPILER picks it);
#   - the sysroot's applibs and tlsutils headers are hal_stub's, which declare the SDK's API;
#   - the SDK's functions (azsphere_configure_tools and the rest) check their arguments the way
#     the SDK uses them and do nothing else;
#   - "linking" runs link_check.sh, which resolves the app's undefined symbols against what the
#     device offers (musl's libc, the applibs API, the libraries passed in) instead of producing
#     an executable.
# tests/integration/device_app_device_build.sh drives it.
set(CMAKE_SYSTEM_NAME Linux)
if(NOT SDK_STANDIN_COMPILER)
    message(FATAL_ERROR "sdk_standin_toolchain.cmake: set SDK_STANDIN_COMPILER to a C compiler")
endif()
set(CMAKE_C_COMPILER "${SDK_STANDIN_COMPILER}")
# CMake's compiler checks read this file again in projects of their own.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SDK_STANDIN_COMPILER)
# Checks the compiler without linking, since nothing here can link for the device.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

get_filename_component(SDK_STANDIN_DIR "${CMAKE_CURRENT_LIST_DIR}" ABSOLUTE)
get_filename_component(SDK_STANDIN_SYSROOT_INCLUDE "${SDK_STANDIN_DIR}/../../hal_stub/include"
    ABSOLUTE)
set(CMAKE_C_FLAGS_INIT "-isystem ${SDK_STANDIN_SYSROOT_INCLUDE}")
set(CMAKE_C_LINK_EXECUTABLE
    "bash ${SDK_STANDIN_DIR}/link_check.sh --compiler <CMAKE_C_COMPILER> --applibs-headers ${SDK_STANDIN_SYSROOT_INCLUDE} --output <TARGET> <OBJECTS> -- <LINK_LIBRARIES>")

function(azsphere_configure_tools)
    cmake_parse_arguments(A "" "TOOLS_REVISION" "" ${ARGN})
    if(NOT A_TOOLS_REVISION MATCHES "^[0-9][0-9]\\.[0-9][0-9]$")
        message(FATAL_ERROR "azsphere_configure_tools: TOOLS_REVISION '${A_TOOLS_REVISION}' is not YY.MM")
    endif()
endfunction()

function(azsphere_configure_api)
    cmake_parse_arguments(A "" "TARGET_API_SET" "" ${ARGN})
    if(NOT A_TARGET_API_SET MATCHES "^[0-9]+(-Beta)?$")
        message(FATAL_ERROR "azsphere_configure_api: TARGET_API_SET '${A_TARGET_API_SET}' is not an API set")
    endif()
endfunction()

# As in the SDK: the definition is looked for in each TARGET_DIRECTORY in turn, and the header
# generated from it sits beside it under inc/hw/, for the app to include as <hw/NAME.h>.
function(azsphere_target_hardware_definition target)
    cmake_parse_arguments(A "" "TARGET_DEFINITION" "TARGET_DIRECTORY" ${ARGN})
    get_filename_component(name "${A_TARGET_DEFINITION}" NAME_WE)
    foreach(directory IN LISTS A_TARGET_DIRECTORY)
        if(EXISTS "${directory}/${A_TARGET_DEFINITION}")
            if(NOT EXISTS "${directory}/inc/hw/${name}.h")
                message(FATAL_ERROR "azsphere_target_hardware_definition: "
                                    "${directory}/inc/hw/${name}.h does not exist")
            endif()
            target_include_directories(${target} PRIVATE "${directory}/inc")
            return()
        endif()
    endforeach()
    message(FATAL_ERROR "azsphere_target_hardware_definition: ${A_TARGET_DEFINITION} is in none "
                        "of '${A_TARGET_DIRECTORY}'")
endfunction()

# The SDK packs app_manifest.json, the executable as bin/app and the resource files. Here the
# manifest gets the checks the packager makes, and every resource file must exist.
function(azsphere_target_add_image_package target)
    cmake_parse_arguments(A "" "" "RESOURCE_FILES" ${ARGN})
    set(manifest "${CMAKE_CURRENT_SOURCE_DIR}/app_manifest.json")
    if(NOT EXISTS "${manifest}")
        message(FATAL_ERROR "azsphere_target_add_image_package: ${manifest} does not exist")
    endif()
    file(READ "${manifest}" text)
    foreach(field IN ITEMS SchemaVersion Name ComponentId EntryPoint ApplicationType)
        string(JSON value ERROR_VARIABLE missing GET "${text}" ${field})
        if(missing)
            message(FATAL_ERROR "azsphere_target_add_image_package: ${manifest} has no ${field}")
        endif()
    endforeach()
    string(JSON entry GET "${text}" EntryPoint)
    if(NOT entry STREQUAL "/bin/app")
        message(FATAL_ERROR "azsphere_target_add_image_package: ${manifest}: EntryPoint is "
                            "'${entry}', but the SDK packs the executable as /bin/app")
    endif()
    foreach(resource IN LISTS A_RESOURCE_FILES)
        if(NOT EXISTS "${CMAKE_CURRENT_SOURCE_DIR}/${resource}")
            message(FATAL_ERROR "azsphere_target_add_image_package: resource file "
                                "${CMAKE_CURRENT_SOURCE_DIR}/${resource} does not exist")
        endif()
    endforeach()
endfunction()
