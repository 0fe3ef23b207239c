import CSndfile
import CFFTW
import CSoxr
