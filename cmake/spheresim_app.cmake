# SPDX-License-Identifier: MIT
# spheresim_add_app: builds an Azure Sphere high-level app against hal_stub and lays it out as an
# unpacked image package, <binary dir>/<TARGET>.app/{app_manifest.json, bin/app, resources...},
# which `spheresim run <TARGET>.app` starts.
#
#   spheresim_add_app(TARGET name SOURCES a.c b.c MANIFEST app_manifest.json
#                     [RESOURCES file...] [LIBS lib...] [INCLUDES dir...])
function(spheresim_add_app)
    cmake_parse_arguments(A "" "TARGET;MANIFEST" "SOURCES;RESOURCES;LIBS;INCLUDES" ${ARGN})
    if(NOT A_TARGET OR NOT A_SOURCES OR NOT A_MANIFEST)
        message(FATAL_ERROR "spheresim_add_app needs TARGET, SOURCES and MANIFEST")
    endif()
    set(package_dir "${CMAKE_CURRENT_BINARY_DIR}/${A_TARGET}.app")
    get_filename_component(manifest "${A_MANIFEST}" ABSOLUTE)
    add_executable(${A_TARGET} ${A_SOURCES})
    target_link_libraries(${A_TARGET} PRIVATE hal_stub ${A_LIBS})
    target_include_directories(${A_TARGET} PRIVATE ${A_INCLUDES})
    # The manifest's EntryPoint is /bin/app in every sample; the package keeps that layout.
    set_target_properties(${A_TARGET} PROPERTIES
        RUNTIME_OUTPUT_DIRECTORY "${package_dir}/bin" OUTPUT_NAME app)
    add_custom_command(TARGET ${A_TARGET} POST_BUILD
        COMMAND ${CMAKE_COMMAND} -E copy_if_different "${manifest}" "${package_dir}/app_manifest.json"
        VERBATIM)
    foreach(resource IN LISTS A_RESOURCES)
        get_filename_component(resource_abs "${resource}" ABSOLUTE)
        file(RELATIVE_PATH resource_rel "${CMAKE_CURRENT_SOURCE_DIR}" "${resource_abs}")
        add_custom_command(TARGET ${A_TARGET} POST_BUILD
            COMMAND ${CMAKE_COMMAND} -E copy_if_different "${resource_abs}" "${package_dir}/${resource_rel}"
            VERBATIM)
    endforeach()
    set_target_properties(${A_TARGET} PROPERTIES SPHERESIM_PACKAGE_DIR "${package_dir}")
endfunction()
