// fmt's implementation, compiled once for the whole project (target
// tape_fmt). Debian's libfmt-dev offers fmt as a shared library or header
// only, and neither fits: the shared library would load libfmt and with it
// the shared libstdc++ into every program recorded through the interposer
// (preload/, which links the engine statically and hides its C++ runtime),
// and header-only compiles fmt's whole formatting core into every file that
// formats a message (about 3.5 s of compiler time each at -O2, on every
// build of every preset). Here the other files include <fmt/core.h> or
// <fmt/format.h> without FMT_HEADER_ONLY and link this: the explicit
// instantiations below are those fmt's own src/format.cc makes for its
// library build.
#include <fmt/format-inl.h>

#if FMT_VERSION < 90000 || FMT_VERSION >= 100000
#error "format/fmt_library.cc instantiates fmt 9's library: update it for this fmt version"
#endif

FMT_BEGIN_NAMESPACE
namespace detail {

template FMT_API auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template FMT_API auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;

#ifndef FMT_STATIC_THOUSANDS_SEPARATOR
template FMT_API locale_ref::locale_ref(const std::locale& loc);
template FMT_API auto locale_ref::get<std::locale>() const -> std::locale;
#endif

template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;
template FMT_API void buffer<char>::append(const char*, const char*);
template FMT_API void vformat_to(buffer<char>&, string_view,
                                 basic_format_args<FMT_BUFFER_CONTEXT(char)>, locale_ref);

template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<wchar_t>;
template FMT_API auto decimal_point_impl(locale_ref) -> wchar_t;
template FMT_API void buffer<wchar_t>::append(const wchar_t*, const wchar_t*);

}  // namespace detail
FMT_END_NAMESPACE
