# What the package sets up when it is loaded: the knitr engines (knitr is only suggested, so they
# are registered once knitr is loaded, or now if it already is).
.onLoad <- function(libname, pkgname) {
  # The hook asks the namespace loaded at the time, never a namespace unloaded since.
  setHook(packageEvent("knitr", "onLoad"), function(...) {
    if (isNamespaceLoaded(pkgname)) get("register_knitr_engines", asNamespace(pkgname))()
  })
  if (isNamespaceLoaded("knitr")) register_knitr_engines()
}
