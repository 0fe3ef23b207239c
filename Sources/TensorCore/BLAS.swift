// BLAS entry points TensorCore uses (OpenBLAS's CBLAS, serial build: one BLAS thread per caller).
import COpenBLAS

/// The BLAS library's own description, e.g. "OpenBLAS 0.3.21 … SINGLE_THREADED" (from
/// openblas_get_config), so reports can say which build ran.
public var blasConfiguration: String { String(cString: openblas_get_config()) }
