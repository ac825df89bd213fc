# GSL without its reference CBLAS.  FindGSL's GSL::gsl target drags in libgslcblas; rmtsolve links
# OpenBLAS, which provides the cblas_* symbols, so GSL's own BLAS calls and ours both run on the
# optimised library.  Included by the build and by the installed package config (after
# find_dependency(GSL)), so the library path is the one found on the consumer's machine.
if(NOT TARGET rmtsolve_deps::gsl)
  add_library(rmtsolve_deps::gsl UNKNOWN IMPORTED)
  set_target_properties(rmtsolve_deps::gsl PROPERTIES
    IMPORTED_LOCATION "${GSL_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${GSL_INCLUDE_DIRS}")
endif()
