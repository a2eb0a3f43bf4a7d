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
    add_executable(${A_TARGET} ${A_SOURCES})
    target_link_libraries(${A_TARGET} PRIVATE hal_stub ${A_LIBS})
    target_include_directories(${A_TARGET} PRIVATE ${A_INCLUDES})
    # The manifest's EntryPoint is /bin/app in every sample; the package keeps that layout.
    set_target_properties(${A_TARGET} PROPERTIES
        RUNTIME_OUTPUT_DIRECTORY "${package_dir}/bin" OUTPUT_NAME app
        SPHERESIM_PACKAGE_DIR "${package_dir}")

    # The manifest and resources are copied by rules of their own, so editing one of them alone
    # refreshes the package without relinking the app.
    set(package_files "")
    foreach(source IN LISTS A_MANIFEST A_RESOURCES)
        get_filename_component(source_abs "${source}" ABSOLUTE)
        if(source STREQUAL A_MANIFEST)
            set(destination "${package_dir}/app_manifest.json")
        else()
            file(RELATIVE_PATH source_rel "${CMAKE_CURRENT_SOURCE_DIR}" "${source_abs}")
            set(destination "${package_dir}/${source_rel}")
        endif()
        add_custom_command(OUTPUT "${destination}"
            COMMAND ${CMAKE_COMMAND} -E copy "${source_abs}" "${destination}"
            DEPENDS "${source_abs}"
            COMMENT "Packaging ${source} for ${A_TARGET}"
            VERBATIM)
        list(APPEND package_files "${destination}")
    endforeach()
    add_custom_target(${A_TARGET}_package ALL DEPENDS ${package_files})
    add_dependencies(${A_TARGET} ${A_TARGET}_package)
endfunction()
