# Unloading the namespace (what devtools/pkgload do on every reload) runs the finalizers of live
# connections and C buffers now: they are code in this package's DLL, which library.dynam.unload()
# may unmap next, and R would otherwise call them later at gc() or exit and crash. R never calls
# the DLL's own R_unload hook here, since the DLL turns dynamic symbol lookup off.
.onUnload <- function(libpath) {
  .Call(C_release_all)
}
