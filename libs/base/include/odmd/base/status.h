#pragma once

// Status and Result<T>: odmd's error vocabulary (Abseil's names, STYLE.md §7.3).
// Our code never throws across a library boundary; it returns these instead.

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

#include "odmd/base/check.h"

namespace odmd {

// Canonical codes. Values are stable: never renumber (they may be stored or printed).
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 3,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kUnauthenticated = 16,
};

// "INVALID_ARGUMENT", "NOT_FOUND", ...
std::string_view StatusCodeName(StatusCode code);

// The outcome of an operation: OK, or a code plus a message naming what is wrong.
// Messages start lowercase, have no full stop and quote offending ids.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "NOT_FOUND: enver \"a/b..main\" not found", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>". OK stays OK.
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::ostream& operator<<(std::ostream& os, const Status& s);

inline Status OkStatus() { return Status(); }
Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status PermissionDeniedError(std::string message);
Status ResourceExhaustedError(std::string message);
Status FailedPreconditionError(std::string message);
Status AbortedError(std::string message);
Status UnimplementedError(std::string message);
Status InternalError(std::string message);
Status UnavailableError(std::string message);
Status UnauthenticatedError(std::string message);

inline bool IsInvalidArgument(const Status& s) { return s.code() == StatusCode::kInvalidArgument; }
inline bool IsNotFound(const Status& s) { return s.code() == StatusCode::kNotFound; }
inline bool IsAlreadyExists(const Status& s) { return s.code() == StatusCode::kAlreadyExists; }
inline bool IsFailedPrecondition(const Status& s) {
  return s.code() == StatusCode::kFailedPrecondition;
}
inline bool IsAborted(const Status& s) { return s.code() == StatusCode::kAborted; }

// A value of T or a non-OK Status. Accessing the value of an error Result is an invariant
// violation (ODMD_CHECK), so callers test ok() first or use ODMD_ASSIGN_OR_RETURN.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    ODMD_CHECK(!status_.ok());
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    ODMD_CHECK(ok());
    return *value_;
  }
  const T& value() const& {
    ODMD_CHECK(ok());
    return *value_;
  }
  T&& value() && {
    ODMD_CHECK(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

namespace internal {
inline const Status& AsStatus(const Status& s) { return s; }
template <typename T>
const Status& AsStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace odmd

#define ODMD_INTERNAL_CONCAT2(a, b) a##b
#define ODMD_INTERNAL_CONCAT(a, b) ODMD_INTERNAL_CONCAT2(a, b)

// Returns the Status of `expr` from the calling function if it is not OK.
#define ODMD_RETURN_IF_ERROR(expr)                               \
  do {                                                           \
    const auto& odmd_status_or_result_ = (expr);                 \
    if (!odmd_status_or_result_.ok()) {                          \
      return ::odmd::internal::AsStatus(odmd_status_or_result_); \
    }                                                            \
  } while (0)

// `decl = value of expr`, or returns its Status from the calling function.
#define ODMD_ASSIGN_OR_RETURN(decl, expr) \
  ODMD_INTERNAL_ASSIGN_OR_RETURN(ODMD_INTERNAL_CONCAT(odmd_result_, __LINE__), decl, expr)
#define ODMD_INTERNAL_ASSIGN_OR_RETURN(tmp, decl, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.status();                   \
  decl = std::move(tmp).value()
