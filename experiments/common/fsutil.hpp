// Files and processes for the framework (internal to experiments/common).
#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace attnlab::exp::fsutil {

// Writes `content` to "<path>.tmp.<pid>" in the same directory, then renames it onto `path`:
// a reader sees the old file or the complete new one, never a half-written one.
// Creates missing parent directories. Throws std::runtime_error naming the path.
void write_atomic(const std::filesystem::path& path, const std::string& content);

// Interruption. After install_interrupt_handler(), SIGINT and SIGTERM end the process at once
// with exit status 128 + signal and one line on stderr; a write_atomic in progress finishes
// first (its temporary file is renamed or removed), and a helper program started by
// run_process is sent SIGTERM. A SIGKILL cannot be handled: it can leave "<path>.tmp.<pid>"
// files, which remove_temporaries() clears on the next run.
void install_interrupt_handler();
// Removes "<name>.tmp.<digits>" files (left by a killed writer) directly inside `dir`.
void remove_temporaries(const std::filesystem::path& dir);

// Whole file; throws std::runtime_error(<why>, e.g. strerror) when it cannot be read.
std::string read_text(const std::filesystem::path& path);

// "" when `out` can hold a run's results: it exists as a writable directory, or it does not
// exist and its nearest existing ancestor is a writable directory. Otherwise the problem.
std::string output_dir_problem(const std::string& out);

// Runs argv[0] (searched in PATH) with stdin from /dev/null, stdout and stderr captured into
// `output` (when not null), the environment plus `extra_env`. Returns the exit status, or
// -1 when the program could not be started / was killed by a signal.
int run_process(const std::vector<std::string>& argv, std::string* output,
                const std::map<std::string, std::string>& extra_env = {});

}  // namespace attnlab::exp::fsutil
