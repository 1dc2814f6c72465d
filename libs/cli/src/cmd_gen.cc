// odmd gen workflows|roles <manifest> --out DIR: writes the generated files of a manifest;
// odmd gen package <manifest> --out DIR [--name NAME]: the per-org TypeScript package;
// odmd gen diff <old> <new>: the generated files a contracts change adds, changes or removes.
//
// Layout under DIR: a file that belongs to a build's repo (a workflow) goes to
// DIR/<build>/<path>, so DIR/<build>/ can be copied over that repo's checkout; a file
// without a build (a role template, path "roles/<build>/...") goes to DIR/<path>.
// A workflow its users edited (overwriteWorkflow false, the default) is kept, only reported;
// an absent or unedited one is written.

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "command.h"
#include "common.h"
#include "odmd/base/files.h"
#include "odmd/base/strings.h"
#include "odmd/gen/generated_file.h"
#include "odmd/gen/package.h"
#include "odmd/gen/roles.h"
#include "odmd/gen/workflows.h"

namespace odmd::cli {
namespace {

namespace fs = std::filesystem;

using Generator = std::function<Result<std::vector<gen::GeneratedFile>>(const model::Org&)>;

enum class WriteStatus { kWritten, kUnchanged, kKept };

std::string_view WriteStatusName(WriteStatus s) {
  switch (s) {
    case WriteStatus::kWritten:
      return "written";
    case WriteStatus::kUnchanged:
      return "unchanged";
    case WriteStatus::kKept:
      return "kept";
  }
  return "written";
}

// Where `file` goes, relative to the output directory (see the layout above). kInternal for
// a path that could leave the directory: generators never produce one.
Result<fs::path> RelativeTarget(const gen::GeneratedFile& file) {
  fs::path relative =
      file.build_id.empty() ? fs::path(file.path) : fs::path(file.build_id) / fs::path(file.path);
  bool escapes = file.path.empty() || relative.is_absolute();
  for (const fs::path& part : relative) escapes = escapes || part == "..";
  if (escapes) {
    return InternalError("generated file " + Quote(relative.generic_string()) +
                         " is not a path inside the output directory");
  }
  return relative;
}

// The content of the file at `path`; nullopt when there is none.
std::optional<std::string> ReadExisting(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<WriteStatus> WriteOne(const fs::path& out_dir, const gen::GeneratedFile& file) {
  ODMD_ASSIGN_OR_RETURN(fs::path relative, RelativeTarget(file));
  fs::path path = out_dir / relative;
  const std::optional<std::string> existing = ReadExisting(path);
  if (existing == file.content) return WriteStatus::kUnchanged;
  if (!gen::MayReplace(file, existing)) return WriteStatus::kKept;
  ODMD_RETURN_IF_ERROR(WriteFileAtomically(path, file.content));
  return WriteStatus::kWritten;
}

struct Written {
  const gen::GeneratedFile* file;
  std::string location;  // relative to the output directory
  WriteStatus status;
};

void PrintWritten(Io& io, bool json, const std::string& out_dir,
                  const std::vector<Written>& written) {
  if (json) {
    nlohmann::json files = nlohmann::json::array();
    for (const Written& w : written) {
      files.push_back({{"path", w.file->path},
                       {"build", w.file->build_id},
                       {"file", w.location},
                       {"status", WriteStatusName(w.status)}});
    }
    PrintJson(io, {{"ok", true}, {"out", out_dir}, {"files", files}});
    return;
  }
  int counts[3] = {0, 0, 0};
  for (const Written& w : written) {
    ++counts[static_cast<int>(w.status)];
    io.out << (w.status == WriteStatus::kKept ? "kept (edited by its users)"
                                              : WriteStatusName(w.status))
           << "  " << w.location << "\n";
  }
  io.out << written.size() << " file(s) in " << out_dir << ": " << counts[0] << " written, "
         << counts[1] << " unchanged, " << counts[2] << " kept\n";
}

RunFn SetupWrite(CLI::App& sub, Io& io, Generator generate) {
  struct Opts {
    std::string manifest, out_dir;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  AddManifestArgument(sub, o->manifest);
  sub.add_option("--out", o->out_dir, "Directory to write the files under")->required();
  AddJsonFlag(sub, o->json);
  return [o, &io, generate]() {
    auto org = LoadManifestOrReport(io, o->json, o->manifest);
    if (!org) return kExitFailure;
    // Everything is generated before anything is written: a generation error writes nothing.
    Result<std::vector<gen::GeneratedFile>> files = generate(*org);
    if (!files.ok()) return ReportFailure(io, o->json, files.status());
    std::vector<Written> written;
    for (const gen::GeneratedFile& file : *files) {
      Result<WriteStatus> status = WriteOne(o->out_dir, file);
      if (!status.ok()) return ReportFailure(io, o->json, status.status());
      Result<fs::path> relative = RelativeTarget(file);
      written.push_back({&file, relative.ok() ? relative->generic_string() : file.path, *status});
    }
    PrintWritten(io, o->json, o->out_dir, written);
    return kExitOk;
  };
}

// Workflows and role templates of `org`, in one list.
Result<std::vector<gen::GeneratedFile>> GenerateAll(const model::Org& org) {
  ODMD_ASSIGN_OR_RETURN(std::vector<gen::GeneratedFile> files, gen::GenerateWorkflows(org));
  ODMD_ASSIGN_OR_RETURN(std::vector<gen::GeneratedFile> roles, gen::GenerateRoles(org));
  files.insert(files.end(), roles.begin(), roles.end());
  return files;
}

char Sign(gen::FileChange change) {
  switch (change) {
    case gen::FileChange::kAdded:
      return '+';
    case gen::FileChange::kRemoved:
      return '-';
    case gen::FileChange::kChanged:
      return '~';
  }
  return '~';
}

// The package generator with the --name option it reads once the command line is parsed.
RunFn SetupPackage(CLI::App& sub, Io& io) {
  auto name = std::make_shared<std::string>();
  sub.add_option("--name", *name, "npm package name (default: <org>-contracts)");
  return SetupWrite(sub, io, [name](const model::Org& org) {
    return gen::GeneratePackage(org, gen::PackageOptions{*name});
  });
}

RunFn SetupGenDiff(CLI::App& sub, Io& io) {
  struct Opts {
    std::string before, after;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  sub.add_option("old", o->before, "The previous manifest")->required();
  sub.add_option("new", o->after, "The new manifest")->required();
  AddJsonFlag(sub, o->json);
  return [o, &io]() {
    auto before = LoadManifestOrReport(io, o->json, o->before);
    if (!before) return kExitFailure;
    auto after = LoadManifestOrReport(io, o->json, o->after);
    if (!after) return kExitFailure;
    Result<std::vector<gen::GeneratedFile>> old_files = GenerateAll(*before);
    if (!old_files.ok()) {
      return ReportFailure(io, o->json, old_files.status().WithContext("old manifest"));
    }
    Result<std::vector<gen::GeneratedFile>> new_files = GenerateAll(*after);
    if (!new_files.ok()) {
      return ReportFailure(io, o->json, new_files.status().WithContext("new manifest"));
    }
    std::vector<gen::FileDiffEntry> diff = gen::DiffGeneratedFiles(*old_files, *new_files);
    if (o->json) {
      nlohmann::json files = nlohmann::json::array();
      for (const gen::FileDiffEntry& d : diff) {
        files.push_back(
            {{"change", gen::FileChangeName(d.change)}, {"path", d.path}, {"build", d.build_id}});
      }
      PrintJson(io, {{"from", before->version}, {"to", after->version}, {"files", files}});
      return kExitOk;
    }
    io.out << before->version << " -> " << after->version << ": " << diff.size()
           << " generated file(s) change\n";
    for (const gen::FileDiffEntry& d : diff) {
      io.out << "  " << Sign(d.change) << " " << gen::FileChangeName(d.change) << " ";
      if (!d.build_id.empty()) io.out << d.build_id << "/";
      io.out << d.path << "\n";
    }
    return kExitOk;
  };
}

}  // namespace

RunFn SetupGen(CLI::App& sub, Io& io) {
  sub.require_subcommand(1);
  CLI::App* workflows = sub.add_subcommand(
      "workflows", "Write the GitHub Actions workflows of a manifest under --out DIR/<build>/");
  CLI::App* roles =
      sub.add_subcommand("roles", "Write the IAM role templates of a manifest under --out DIR/");
  CLI::App* package = sub.add_subcommand(
      "package", "Write the per-org TypeScript package of a manifest under --out DIR/");
  CLI::App* diff = sub.add_subcommand(
      "diff", "List the workflow and role files a contracts change adds, changes or removes");
  RunFn run_workflows = SetupWrite(*workflows, io, gen::GenerateWorkflows);
  RunFn run_roles = SetupWrite(*roles, io, gen::GenerateRoles);
  RunFn run_package = SetupPackage(*package, io);
  RunFn run_diff = SetupGenDiff(*diff, io);
  return [=]() {
    if (workflows->parsed()) return run_workflows();
    if (roles->parsed()) return run_roles();
    if (package->parsed()) return run_package();
    if (diff->parsed()) return run_diff();
    return kExitUsage;
  };
}

}  // namespace odmd::cli
