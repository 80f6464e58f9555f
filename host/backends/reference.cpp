// The double-precision reference backend: plain scalar loops over networks,
// written from DESIGN.md's formulas and sharing no training code with
// math.hpp, so comparing the two catches a bug in either. It also carries the
// seed program's mistaken update (Rule::seed_blog) to reproduce its figure.
#include "manynets/reference.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "manynets/detail/random.hpp"
#include "manynets/error.hpp"
#include "manynets/number_text.hpp"

namespace manynets {
namespace reference {
namespace {

// ---- parameters and activations

// Where each parameter of an I-H-O network lives in DESIGN.md's order:
// W1 (H x I, row-major), W2 (O x H, row-major), b1 (H), b2 (O).
struct Layout {
  int inputs;
  int hidden;
  int outputs;

  explicit Layout(Shape s) : inputs(s.inputs), hidden(s.hidden), outputs(s.outputs) {}

  int w1(int j, int i) const { return j * inputs + i; }
  int w2(int k, int j) const { return hidden * inputs + k * hidden + j; }
  int b1(int j) const { return num_weights() + j; }
  int b2(int k) const { return num_weights() + hidden + k; }
  int num_weights() const { return hidden * inputs + outputs * hidden; }
  int num_params() const { return num_weights() + hidden + outputs; }
};

double activate(Activation a, double z) {
  switch (a) {
    case Activation::sigmoid:
      return 1.0 / (1.0 + std::exp(-z));
    case Activation::tanh:
      return std::tanh(z);
    case Activation::relu:
      return z > 0.0 ? z : 0.0;
    case Activation::identity:
      return z;
  }
  throw input_error("unknown activation " + std::to_string(static_cast<int>(a)));
}

// d activate(a, z) / dz, from the pre-activation z (math.hpp works from the
// output instead; the two routes cross-check each other).
double activation_derivative(Activation a, double z) {
  switch (a) {
    case Activation::sigmoid: {
      const double s = 1.0 / (1.0 + std::exp(-z));
      return s * (1.0 - s);
    }
    case Activation::tanh: {
      const double c = std::cosh(z);
      return 1.0 / (c * c);
    }
    case Activation::relu:
      return z > 0.0 ? 1.0 : 0.0;
    case Activation::identity:
      return 1.0;
  }
  throw input_error("unknown activation " + std::to_string(static_cast<int>(a)));
}

// ---- forward pass and loss

// One sample's forward pass; the pre-activations are kept for the backward pass.
struct Pass {
  std::vector<double> z1;         // (H) hidden pre-activations
  std::vector<double> h;          // (H) hidden outputs
  std::vector<double> z2;         // (O) output pre-activations
  std::vector<double> o;          // (O) outputs
  std::vector<double> delta_out;  // (O) dE/dz2, scratch for the backward pass

  explicit Pass(const Layout& l)
      : z1(l.hidden), h(l.hidden), z2(l.outputs), o(l.outputs), delta_out(l.outputs) {}
};

// h = f(W1 x + b1), o = g(W2 h + b2). The seed program adds each bias after its
// weighted sum; under Rule::seed_blog (`program_order`) so does this, so that the
// replay gives the program's bits.
void forward(Pass& pass, const Layout& l, const double* params, Activation f, Activation g, const double* x,
             bool program_order = false) {
  for (int j = 0; j < l.hidden; ++j) {
    double z = program_order ? 0.0 : params[l.b1(j)];
    for (int i = 0; i < l.inputs; ++i) z += params[l.w1(j, i)] * x[i];
    if (program_order) z += params[l.b1(j)];
    pass.z1[j] = z;
    pass.h[j] = activate(f, z);
  }
  for (int k = 0; k < l.outputs; ++k) {
    double z = program_order ? 0.0 : params[l.b2(k)];
    for (int j = 0; j < l.hidden; ++j) z += params[l.w2(k, j)] * pass.h[j];
    if (program_order) z += params[l.b2(k)];
    pass.z2[k] = z;
    pass.o[k] = activate(g, z);
  }
}

const double* sample_inputs(const Dataset& data, std::size_t s) {
  return data.x.data() + s * static_cast<std::size_t>(data.inputs);
}
const double* sample_targets(const Dataset& data, std::size_t s) {
  return data.t.data() + s * static_cast<std::size_t>(data.outputs);
}

struct Evaluation {
  double loss;       // mean over samples of sum_k 1/2 (t_k - o_k)^2
  double abs_error;  // mean over samples of sum_k |t_k - o_k|
};

Evaluation evaluate(Pass& pass, const Layout& l, const double* params, Activation f, Activation g,
                    const Dataset& data, bool program_order = false) {
  const std::size_t samples = data.samples();
  double loss_sum = 0.0;
  double abs_sum = 0.0;
  for (std::size_t s = 0; s < samples; ++s) {
    forward(pass, l, params, f, g, sample_inputs(data, s), program_order);
    const double* t = sample_targets(data, s);
    for (int k = 0; k < l.outputs; ++k) {
      const double diff = t[k] - pass.o[k];
      loss_sum += 0.5 * diff * diff;
      abs_sum += std::fabs(diff);
    }
  }
  return {loss_sum / static_cast<double>(samples), abs_sum / static_cast<double>(samples)};
}

// ---- update directions: the exact gradient, and the seed program's mistake

// Adds weight * dE/dp of one sample's E = sum_k 1/2 (t_k - o_k)^2 to grad, given
// the sample's forward pass.
void add_sample_gradient(double* grad, const Layout& l, const double* params, Activation f, Activation g,
                         const double* x, const double* t, Pass& pass, double weight) {
  // dE/dz2_k = (o_k - t_k) g'(z2_k); dE/dz1_j = sum_k dE/dz2_k W2[k][j] f'(z1_j).
  std::vector<double>& delta_out = pass.delta_out;
  for (int k = 0; k < l.outputs; ++k) {
    delta_out[k] = (pass.o[k] - t[k]) * activation_derivative(g, pass.z2[k]);
  }
  for (int j = 0; j < l.hidden; ++j) {
    double back = 0.0;
    for (int k = 0; k < l.outputs; ++k) back += delta_out[k] * params[l.w2(k, j)];
    const double delta_hidden = back * activation_derivative(f, pass.z1[j]);
    for (int i = 0; i < l.inputs; ++i) grad[l.w1(j, i)] += weight * delta_hidden * x[i];
    grad[l.b1(j)] += weight * delta_hidden;
  }
  for (int k = 0; k < l.outputs; ++k) {
    for (int j = 0; j < l.hidden; ++j) grad[l.w2(k, j)] += weight * delta_out[k] * pass.h[j];
    grad[l.b2(k)] += weight * delta_out[k];
  }
}

// The seed program's per-sample "gradient" of a 2-2-2 sigmoid network, its two
// mistakes kept on purpose (shared/seed/seed_program.py, transcribed):
// - the deltas sent back to the hidden layer use the inputs x where the targets
//   belong: q_k = -(x_k - o_k) o_k (1 - o_k); the output layer's own updates use
//   the targets, correctly;
// - the hidden sum lacks its parentheses: for W1[j][i] it is
//   q_0 W2[0][j] + q_1 W2[1][j] h_j (1 - h_j) x_i, so only the second term carries
//   the sigmoid's derivative and the input.
// The program never updates the biases. Each product is evaluated in the
// program's order, so a replay gives its bits.
void add_sample_seed_blog_direction(double* direction, const Layout& l, const double* params, const double* x,
                                    const double* t, const Pass& pass, double weight) {
  const double* h = pass.h.data();
  const double* o = pass.o.data();
  double q[2];
  for (int k = 0; k < 2; ++k) q[k] = -(x[k] - o[k]) * o[k] * (1.0 - o[k]);
  for (int j = 0; j < 2; ++j) {
    for (int i = 0; i < 2; ++i) {
      direction[l.w1(j, i)] +=
          weight * (q[0] * params[l.w2(0, j)] + q[1] * params[l.w2(1, j)] * h[j] * (1.0 - h[j]) * x[i]);
    }
  }
  for (int k = 0; k < 2; ++k) {
    for (int j = 0; j < 2; ++j)
      direction[l.w2(k, j)] += weight * (-(t[k] - o[k]) * o[k] * (1.0 - o[k]) * h[j]);
  }
}

// Adds weight times sample s's update direction under `rule` to direction.
void add_sample_direction(double* direction, Pass& pass, Rule rule, const Layout& l, const double* params,
                          Activation f, Activation g, const Dataset& data, std::size_t s, double weight) {
  const double* x = sample_inputs(data, s);
  forward(pass, l, params, f, g, x, rule == Rule::seed_blog);
  if (rule == Rule::seed_blog) {
    add_sample_seed_blog_direction(direction, l, params, x, sample_targets(data, s), pass, weight);
  } else {
    add_sample_gradient(direction, l, params, f, g, x, sample_targets(data, s), pass, weight);
  }
}

// ---- optimizers

// Per-network optimizer state: momentum's velocity or Adam's first moment (m),
// Adam's second moment (v) and Adam's step count t.
struct OptimizerState {
  std::vector<double> m;
  std::vector<double> v;
  std::int64_t t = 0;

  explicit OptimizerState(int num_params) : m(num_params, 0.0), v(num_params, 0.0) {}
};

// Only the first `trained` parameters change: all of them, or just the weights.
void sgd_update(double* params, const double* grad, int trained, double lr) {
  for (int q = 0; q < trained; ++q) params[q] -= lr * grad[q];
}

void momentum_update(double* params, OptimizerState& state, const double* grad, int trained, double lr,
                     double mu) {
  for (int q = 0; q < trained; ++q) {
    state.m[q] = mu * state.m[q] + grad[q];
    params[q] -= lr * state.m[q];
  }
}

void adam_update(double* params, OptimizerState& state, const double* grad, int trained, double lr,
                 double beta1, double beta2, double epsilon) {
  state.t += 1;
  const double t = static_cast<double>(state.t);
  const double first_correction = 1.0 - std::pow(beta1, t);
  const double second_correction = 1.0 - std::pow(beta2, t);
  for (int q = 0; q < trained; ++q) {
    state.m[q] = beta1 * state.m[q] + (1.0 - beta1) * grad[q];
    state.v[q] = beta2 * state.v[q] + (1.0 - beta2) * grad[q] * grad[q];
    const double m_hat = state.m[q] / first_correction;
    const double v_hat = state.v[q] / second_correction;
    params[q] -= lr * m_hat / (std::sqrt(v_hat) + epsilon);
  }
}

// L2 weight decay: the gradient of (decay / 2) |W|^2 over the weights (not the
// biases) joins the step's gradient. Without decay nothing is added, so the bits
// are those of plain training.
void add_weight_decay(double* grad, const Layout& l, const double* params, double decay) {
  if (decay == 0) return;
  for (int q = 0; q < l.num_weights(); ++q) grad[q] += decay * params[q];
}

void apply_update(double* params, OptimizerState& state, const double* grad, const Batch& batch,
                  std::size_t i) {
  const Layout l(batch.shape());
  const int trained = batch.train_biases[i] != 0 ? l.num_params() : l.num_weights();
  const double lr = batch.learning_rate[i];
  switch (batch.optimizer[i]) {
    case Optimizer::sgd:
      sgd_update(params, grad, trained, lr);
      return;
    case Optimizer::momentum:
      momentum_update(params, state, grad, trained, lr, batch.momentum[i]);
      return;
    case Optimizer::adam:
      adam_update(params, state, grad, trained, lr, batch.adam_beta1[i], batch.adam_beta2[i],
                  batch.adam_epsilon[i]);
      return;
  }
  throw input_error("network " + std::to_string(i) + " has an unknown optimizer " +
                    std::to_string(static_cast<int>(batch.optimizer[i])));
}

// ---- the training loop

bool all_finite(const std::vector<double>& values) {
  for (const double v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

// Why network i stops after `step` updates, or nothing when it trains on.
std::optional<Status> stop_status(const Evaluation& e, const std::vector<double>& params, const Batch& batch,
                                  std::size_t i, std::int32_t step) {
  if (!std::isfinite(e.loss) || !all_finite(params)) return Status::diverged;
  if (e.loss <= batch.target_loss[i]) return Status::converged;
  if (step >= batch.max_steps[i]) return Status::max_steps;
  return std::nullopt;
}

// Rule::seed_blog reproduces one program: a 2-2-2 sigmoid/sigmoid network trained
// by plain gradient descent, biases fixed. Anything else has no meaning under that rule.
void check_rule(const Batch& batch) {
  if (batch.rule != Rule::seed_blog) return;
  if (batch.shape() != Shape{2, 2, 2}) {
    throw input_error("rule seed-blog needs shape 2-2-2; got " + to_string(batch.shape()) +
                      " (use rule backprop for other shapes)");
  }
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (batch.hidden_activation[i] != Activation::sigmoid ||
        batch.output_activation[i] != Activation::sigmoid) {
      throw input_error("rule seed-blog needs sigmoid hidden and output activations; network " +
                        std::to_string(i) + " has " + to_string(batch.hidden_activation[i]) + "/" +
                        to_string(batch.output_activation[i]) + " (use rule backprop)");
    }
    if (batch.optimizer[i] != Optimizer::sgd) {
      throw input_error("rule seed-blog needs optimizer sgd; network " + std::to_string(i) + " has " +
                        to_string(batch.optimizer[i]) + " (use rule backprop)");
    }
    if (batch.train_biases[i] != 0) {
      throw input_error("rule seed-blog never trains the biases, as the seed program did not; network " +
                        std::to_string(i) + " has them trained (use --train-biases off, or rule backprop)");
    }
    if (batch.weight_decay[i] != 0) {
      throw input_error("rule seed-blog has no weight decay, as the seed program had none; network " +
                        std::to_string(i) + " has " + number_text(batch.weight_decay[i]) +
                        " (use --weight-decay 0, or rule backprop)");
    }
  }
}

// A number in [-1, 1) for parameter q of network `id` after update `step`, in
// noise stream `stream`: mix32 chained over the four counters.
double noise_unit(std::uint64_t id, std::int32_t step, int q, std::uint32_t stream) {
  std::uint32_t x =
      mix32(static_cast<std::uint32_t>(id) ^ mix32(static_cast<std::uint32_t>(id >> 32) + stream));
  x = mix32(x + static_cast<std::uint32_t>(step));
  x = mix32(x ^ static_cast<std::uint32_t>(q));
  return static_cast<double>(x) * (1.0 / 2147483648.0) - 1.0;
}

// Trains network i of the batch and writes its row of the results: evaluate the
// parameters after `step` updates, record the curve, stop (diverged, converged or
// out of steps) or apply update step + 1, then the rounding noise, if any.
void train_network(Results& results, const Batch& batch, const Dataset& data, std::size_t i,
                   const RoundingNoise& noise) {
  const Layout l(batch.shape());
  const std::size_t n = batch.size();
  const int num_params = l.num_params();
  const Activation f = batch.hidden_activation[i];
  const Activation g = batch.output_activation[i];
  const std::size_t samples = data.samples();
  const bool online = batch.mode[i] == Mode::online && samples > 1;
  const int samples_int = static_cast<int>(samples);

  std::vector<double> params(num_params);
  for (int p = 0; p < num_params; ++p) params[p] = batch.param(i, p);
  std::vector<double> direction(num_params);
  OptimizerState state(num_params);
  Pass pass(l);

  for (std::int32_t step = 0;; ++step) {
    const Evaluation e = evaluate(pass, l, params.data(), f, g, data, batch.rule == Rule::seed_blog);
    if (batch.curve_every > 0 && step % batch.curve_every == 0) {
      const std::size_t slot = static_cast<std::size_t>(step / batch.curve_every);
      results.curve_loss[slot * n + i] = static_cast<float>(e.loss);
      results.curve_abs_error[slot * n + i] = static_cast<float>(e.abs_error);
    }

    if (const std::optional<Status> status = stop_status(e, params, batch, i, step)) {
      for (int p = 0; p < num_params; ++p) results.params[static_cast<std::size_t>(p) * n + i] = params[p];
      results.loss[i] = e.loss;
      results.abs_error[i] = e.abs_error;
      results.steps[i] = step;
      results.status[i] = *status;
      return;
    }

    std::fill(direction.begin(), direction.end(), 0.0);
    if (online) {
      const std::uint32_t epoch = static_cast<std::uint32_t>(step / samples_int);
      const int s = permuted_index(batch.seed, batch.first_id + i, epoch, step % samples_int, samples_int);
      add_sample_direction(direction.data(), pass, batch.rule, l, params.data(), f, g, data,
                           static_cast<std::size_t>(s), 1.0);
    } else {
      const double weight = 1.0 / static_cast<double>(samples);
      for (std::size_t s = 0; s < samples; ++s) {
        add_sample_direction(direction.data(), pass, batch.rule, l, params.data(), f, g, data, s, weight);
      }
    }
    add_weight_decay(direction.data(), l, params.data(), batch.weight_decay[i]);
    apply_update(params.data(), state, direction.data(), batch, i);
    if (noise.relative > 0) {
      const int trained = batch.train_biases[i] != 0 ? l.num_params() : l.num_weights();
      for (int q = 0; q < trained; ++q)
        params[q] *= 1.0 + noise.relative * noise_unit(batch.first_id + i, step, q, noise.stream);
    }
  }
}

class ReferenceBackend : public Backend {
 public:
  explicit ReferenceBackend(RoundingNoise noise) : noise_(noise) {}

  std::string name() const override { return "reference"; }

  bool implements(Rule) const override { return true; }

 protected:
  void train_into(Results& results, const Batch& batch, const Dataset& data) override {
    check_rule(batch);
    for (std::size_t i = 0; i < batch.size(); ++i) train_network(results, batch, data, i, noise_);
  }

 private:
  RoundingNoise noise_;
};

// The public helpers take one network's parameters and a dataset that must fit it.
void check_fits(Shape shape, const double* params, const Dataset& data) {
  if (shape.inputs <= 0 || shape.hidden <= 0 || shape.outputs <= 0) {
    throw input_error("shape " + to_string(shape) + " needs at least one unit per layer");
  }
  if (params == nullptr)
    throw input_error("params is null; pass " + std::to_string(shape.num_params()) + " values");
  if (data.inputs != shape.inputs || data.outputs != shape.outputs) {
    throw input_error("dataset '" + data.name + "' has " + std::to_string(data.inputs) + " inputs and " +
                      std::to_string(data.outputs) + " outputs; shape " + to_string(shape) + " needs " +
                      std::to_string(shape.inputs) + " and " + std::to_string(shape.outputs));
  }
  const std::size_t samples = data.samples();
  if (samples == 0) throw input_error("dataset '" + data.name + "' has no samples; give it at least one");
  if (data.x.size() != samples * static_cast<std::size_t>(data.inputs) ||
      data.t.size() != samples * static_cast<std::size_t>(data.outputs)) {
    throw input_error("dataset '" + data.name + "' has " + std::to_string(data.x.size()) +
                      " input values and " + std::to_string(data.t.size()) +
                      " target values; they must be whole samples of " + std::to_string(data.inputs) +
                      " and " + std::to_string(data.outputs));
  }
}

}  // namespace

// ---- public helpers

std::vector<double> outputs(Shape shape, const double* params, Activation hidden, Activation output,
                            const Dataset& data, Rule rule) {
  check_fits(shape, params, data);
  const Layout l(shape);
  Pass pass(l);
  std::vector<double> result;
  result.reserve(data.samples() * static_cast<std::size_t>(l.outputs));
  for (std::size_t s = 0; s < data.samples(); ++s) {
    forward(pass, l, params, hidden, output, sample_inputs(data, s), rule == Rule::seed_blog);
    result.insert(result.end(), pass.o.begin(), pass.o.end());
  }
  return result;
}

double loss(Shape shape, const double* params, Activation hidden, Activation output, const Dataset& data) {
  check_fits(shape, params, data);
  const Layout l(shape);
  Pass pass(l);
  return evaluate(pass, l, params, hidden, output, data).loss;
}

double abs_error(Shape shape, const double* params, Activation hidden, Activation output,
                 const Dataset& data) {
  check_fits(shape, params, data);
  const Layout l(shape);
  Pass pass(l);
  return evaluate(pass, l, params, hidden, output, data).abs_error;
}

std::vector<double> gradient(Shape shape, const double* params, Activation hidden, Activation output,
                             const Dataset& data) {
  check_fits(shape, params, data);
  const Layout l(shape);
  Pass pass(l);
  std::vector<double> grad(l.num_params(), 0.0);
  const double weight = 1.0 / static_cast<double>(data.samples());
  for (std::size_t s = 0; s < data.samples(); ++s) {
    add_sample_direction(grad.data(), pass, Rule::backprop, l, params, hidden, output, data, s, weight);
  }
  return grad;
}

std::unique_ptr<Backend> make_backend(RoundingNoise noise) {
  if (!(noise.relative >= 0 && noise.relative < 1)) {
    throw input_error("reference rounding noise must be in [0, 1); got " + number_text(noise.relative));
  }
  return std::make_unique<ReferenceBackend>(noise);
}

}  // namespace reference
}  // namespace manynets
