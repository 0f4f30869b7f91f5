# What `cmake --install` puts where, and the Debian package (`cpack -G DEB`) made from it.
# Nothing installed refers to the build tree: the modulefile finds its prefix from its own
# path and the job scripts find tsbatch on PATH.
include(GNUInstallDirs)

# Man pages and the bash completion script, written by the program itself from its
# command-line description (src/cli/cli_docs.hpp), so they cannot drift from --help.
set(TSBATCH_DOCS_DIR ${CMAKE_BINARY_DIR}/docs)
add_custom_command(
  OUTPUT ${TSBATCH_DOCS_DIR}/docs.stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${TSBATCH_DOCS_DIR}/man1
  COMMAND $<TARGET_FILE:tsbatch> docs --man ${TSBATCH_DOCS_DIR}/man1 --bash-completion ${TSBATCH_DOCS_DIR}/tsbatch.bash
  COMMAND ${CMAKE_COMMAND} -E touch ${TSBATCH_DOCS_DIR}/docs.stamp
  DEPENDS tsbatch
  COMMENT "Man pages and bash completion from tsbatch's command line")
add_custom_target(tsbatch_docs ALL DEPENDS ${TSBATCH_DOCS_DIR}/docs.stamp)

# The MPI tsbatch was built with, for the modulefile's comment: "mpiexec (OpenRTE) 4.1.4"
# names Open MPI's version.
set(TSBATCH_MPI_VERSION "MPI ${MPI_C_VERSION}")
if(MPIEXEC_EXECUTABLE)
  execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version OUTPUT_VARIABLE mpiexec_version ERROR_QUIET)
  if(mpiexec_version MATCHES "OpenRTE\\) ([0-9.]+)")
    set(TSBATCH_MPI_VERSION "Open MPI ${CMAKE_MATCH_1} (MPI ${MPI_C_VERSION}), ${MPIEXEC_EXECUTABLE}")
  endif()
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/tsbatch.lua.in ${CMAKE_BINARY_DIR}/modulefiles/tsbatch/${PROJECT_VERSION}.lua @ONLY)

install(TARGETS tsbatch RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${TSBATCH_DOCS_DIR}/man1 DESTINATION ${CMAKE_INSTALL_MANDIR})
install(FILES ${TSBATCH_DOCS_DIR}/tsbatch.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
        RENAME tsbatch)
set(TSBATCH_SHARE ${CMAKE_INSTALL_DATADIR}/tsbatch)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/ DESTINATION ${TSBATCH_SHARE}/config)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/jobs/slurm/ DESTINATION ${TSBATCH_SHARE}/jobs/slurm USE_SOURCE_PERMISSIONS)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/apptainer/ DESTINATION ${TSBATCH_SHARE}/apptainer)
install(FILES ${PROJECT_SOURCE_DIR}/python/tsbatch_results.py DESTINATION ${TSBATCH_SHARE}/python)
install(FILES ${CMAKE_BINARY_DIR}/modulefiles/tsbatch/${PROJECT_VERSION}.lua DESTINATION ${TSBATCH_SHARE}/modulefiles/tsbatch)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/BENCHMARKS.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

# cpack -G DEB: the runtime libraries the binary links come from dpkg-shlibdeps, not the
# -dev packages it was built with; mpirun comes from openmpi-bin.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME tsbatch)
set(CPACK_PACKAGE_VENDOR "tsbatch")
set(CPACK_PACKAGE_CONTACT "tsbatch maintainers <tsbatch@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Rank-parallel time-series analytics over staged HDF5 files (MPI, Slurm)")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# shlibdeps names the virtual libopenblas0, which apt would meet with the threaded build;
# tsbatch runs the serial one (cmake/tsbatch_blas.cmake).
set(CPACK_DEBIAN_PACKAGE_DEPENDS "openmpi-bin, libopenblas0-serial")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-h5py, python3-pandas, lmod, slurm-client")
set(CPACK_STRIP_FILES ON)
include(CPack)
