// `manynets sweep` under mpirun or srun (a build with MPI): rank r of R trains
// shard r/R into the --out directory, on the GPU of its node-local rank (or its
// share of the node's cores on the cpu backend), and rank 0 merges the shards
// into the files and the report one process gives. A rank that fails makes
// every rank exit with that failure, and rank 0 prints its error; what the
// other ranks finished stays in their shard directories, which the same
// command (or 'manynets merge DIR --resume') continues.
#include <mpi.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "cli/commands.hpp"

namespace manynets {
namespace cli {

namespace {

constexpr int exit_failure = 1;
constexpr int exit_usage = 2;
constexpr int message_bytes = 1024;  // of each rank's error, gathered on rank 0

// Sets up the shard of this rank and trains it; throws as run_sweep_job does.
void train_rank_shard(SweepJob job, int rank, int size, int local_rank, int local_size) {
  if (job.out_dir.empty()) {
    throw input_error("under MPI (" + std::to_string(size) +
                      " ranks) sweep needs --out DIR, a directory every rank can reach: each rank keeps "
                      "its shard there for rank 0 to merge");
  }
  if (job.resume) {
    throw input_error(
        "--resume under MPI: run the same command again without --resume (each rank continues "
        "its shard), or finish in one process with 'manynets merge DIR --resume'");
  }
  job.shard = static_cast<std::uint64_t>(rank);
  job.shard_count = static_cast<std::uint64_t>(size);
  job.silent = true;
  const std::size_t devices = cuda_devices().size();
  if (devices > 0)
    job.backend_options.device = static_cast<int>(static_cast<std::size_t>(local_rank) % devices);
  if (job.backend_options.threads == 0 && local_size > 1) {
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    job.backend_options.threads = std::max(1, cores / local_size);
  }
  run_sweep_job(job);
}

}  // namespace

int run_sweep_under_mpi(const SweepJob& job, bool shard_given) {
  MPI_Init(nullptr, nullptr);
  int rank = 0, size = 1, local_rank = 0, local_size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &local_rank);
  MPI_Comm_size(node, &local_size);
  MPI_Comm_free(&node);

  int status = 0;
  std::string error;
  try {
    if (shard_given) {
      throw input_error("--shard under MPI: rank r of R trains shard r/R; leave out --shard");
    }
    train_rank_shard(job, rank, size, local_rank, local_size);
  } catch (const Error& e) {
    status = e.kind() == ErrorKind::invalid_input ? exit_usage : exit_failure;
    error = e.what();
  } catch (const std::exception& e) {
    status = exit_failure;
    error = e.what();
  }

  std::vector<int> statuses(static_cast<std::size_t>(size));
  MPI_Gather(&status, 1, MPI_INT, statuses.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
  std::vector<char> message(message_bytes, '\0');
  std::strncpy(message.data(), error.c_str(), message_bytes - 1);
  std::vector<char> messages(rank == 0 ? static_cast<std::size_t>(size) * message_bytes : 0);
  MPI_Gather(message.data(), message_bytes, MPI_CHAR, messages.data(), message_bytes, MPI_CHAR, 0,
             MPI_COMM_WORLD);

  int result = 0;
  if (rank == 0) {
    const auto failed = std::find_if(statuses.begin(), statuses.end(), [](int s) { return s != 0; });
    if (failed != statuses.end()) {
      const auto first = static_cast<std::size_t>(failed - statuses.begin());
      const std::string what(messages.data() + first * message_bytes);
      const auto count = static_cast<std::size_t>(
          std::count_if(statuses.begin(), statuses.end(), [](int s) { return s != 0; }));
      bool same_everywhere = count == statuses.size();
      for (std::size_t r = 0; same_everywhere && r < statuses.size(); ++r)
        same_everywhere = what == std::string(messages.data() + r * message_bytes);
      if (same_everywhere) {
        std::cerr << "manynets: error: " << what << std::endl;
      } else {
        std::cerr << "manynets: error: rank " << first << " of " << size << ": " << what;
        if (count > 1)
          std::cerr << " (and " << count - 1 << " more rank" << (count > 2 ? "s" : "") << " failed)";
        std::cerr << "; the shards the others finished are saved in '" << job.out_dir
                  << "': run the same command again, or 'manynets merge " << job.out_dir << " --resume'"
                  << std::endl;
      }
      result = *failed;
    } else {
      try {
        MergeOptions merge;
        merge.dir = job.out_dir;
        merge.json = job.json;
        result = run_merge_command(merge);
      } catch (const Error& e) {
        std::cerr << "manynets: error: " << e.what() << std::endl;
        result = e.kind() == ErrorKind::invalid_input ? exit_usage : exit_failure;
      } catch (const std::exception& e) {
        std::cerr << "manynets: error: " << e.what() << std::endl;
        result = exit_failure;
      }
    }
  }
  MPI_Bcast(&result, 1, MPI_INT, 0, MPI_COMM_WORLD);
  MPI_Finalize();
  return result;
}

}  // namespace cli
}  // namespace manynets
