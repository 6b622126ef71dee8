// flowpost's C ABI over a stanc-generated Stan model.
//
// Written against Stan's public model API (stan::model::model_base, stan::json::json_data,
// stan::model::log_prob_grad, write_array, unconstrain_array, transform_inits). Compiled once per
// toolchain into shim.o and linked with each model's translation unit (which defines
// `new_model`) into one shared object that flowpost loads at run time.
//
// Conventions of the ABI:
// - No C++ exception crosses it. Every entry point that can fail returns a status
//   (FP_OK, FP_RECOVERABLE for std::domain_error, FP_FATAL for any other error) and, when `err`
//   is not null, a message allocated with malloc that the caller frees with
//   flowpost_stan_free_string.
// - Buffers are caller-allocated; sizes come from the count functions.
// - A model is immutable after construction: every function taking a const model may be called
//   from several threads at once. Each calling thread gets its own autodiff tape (STAN_THREADS).

#include <stdexcept>
#include <string>

// rapidjson's internal assertions are C asserts by default: data with `NaNe1` or `Infinitye1`
// (NaN or Infinity followed by an exponent) fails one in StrtodFullPrecision and aborts the
// whole process (found by tests/stan_data_fuzz.rs). As exceptions they reach `guarded` below
// and become a data error. Only this translation unit includes rapidjson (the models' do not),
// so the definition is the same everywhere it is used.
#define RAPIDJSON_ASSERT(x)                                                                   \
  do {                                                                                        \
    if (!(x)) {                                                                               \
      throw std::runtime_error(                                                               \
          std::string("the JSON holds a malformed value that Stan's JSON reader (rapidjson) " \
                      "cannot read, such as NaN or Infinity followed by an exponent "         \
                      "(`NaNe1`); its internal check `") +                                    \
          #x + "` failed");                                                                   \
    }                                                                                         \
  } while (0)

#include <stan/io/empty_var_context.hpp>
#include <stan/io/json/json_data.hpp>
#include <stan/model/log_prob_grad.hpp>
#include <stan/model/model_base.hpp>
#include <stan/services/util/create_rng.hpp>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

// Defined by the stanc-generated translation unit.
stan::model::model_base& new_model(stan::io::var_context& data_context, unsigned int seed,
                                   std::ostream* msg_stream);

#define FP_API extern "C" __attribute__((visibility("default")))

namespace {

constexpr int FP_OK = 0;
constexpr int FP_RECOVERABLE = 1;
constexpr int FP_FATAL = 2;
constexpr int FP_ABI_VERSION = 1;

struct fp_model {
  stan::model::model_base* model;
  size_t num_unconstrained;
};

char* copy_string(const std::string& s) {
  char* out = static_cast<char*>(std::malloc(s.size() + 1));
  if (out != nullptr) {
    std::memcpy(out, s.c_str(), s.size() + 1);
  }
  return out;
}

void set_error(char** err, const std::string& message, const std::ostringstream& printed) {
  if (err == nullptr) {
    return;
  }
  std::string full = message;
  const std::string extra = printed.str();
  if (!extra.empty()) {
    full += "\nmodel output before the error:\n" + extra;
  }
  *err = copy_string(full);
}

// The autodiff tape is thread-local under STAN_THREADS; threads not started by TBB must create
// one before the first gradient (see stan/math/rev/core/autodiffstackstorage.hpp). The object
// lives until the thread exits.
void ensure_thread_tape() {
  static thread_local stan::math::ChainableStack thread_tape;
  (void)thread_tape;
}

// Runs `body`, mapping exceptions to statuses: Stan signals "this point is outside the support"
// with std::domain_error, which a sampler treats as a rejected proposal.
template <typename F>
int guarded(char** err, std::ostringstream& printed, F&& body) {
  try {
    body();
    return FP_OK;
  } catch (const std::domain_error& e) {
    set_error(err, e.what(), printed);
    return FP_RECOVERABLE;
  } catch (const std::exception& e) {
    set_error(err, e.what(), printed);
    return FP_FATAL;
  } catch (...) {
    set_error(err, "unknown C++ exception", printed);
    return FP_FATAL;
  }
}

std::string join_lines(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      out += '\n';
    }
    out += names[i];
  }
  return out;
}

}  // namespace

FP_API int flowpost_stan_abi_version() { return FP_ABI_VERSION; }

FP_API void flowpost_stan_free_string(char* s) { std::free(s); }

// Constructs the model from Stan JSON data (`data` of `len` bytes; null or empty = no data).
FP_API int flowpost_stan_model_new(const char* data, size_t len, uint32_t seed, fp_model** out,
                                   char** err) {
  std::ostringstream printed;
  *out = nullptr;
  return guarded(err, printed, [&] {
    ensure_thread_tape();
    stan::model::model_base* model = nullptr;
    if (data == nullptr || len == 0) {
      stan::io::empty_var_context empty;
      model = &new_model(empty, seed, &printed);
    } else {
      std::istringstream in(std::string(data, len));
      stan::json::json_data context(in);
      model = &new_model(context, seed, &printed);
    }
    *out = new fp_model{model, model->num_params_r()};
  });
}

FP_API void flowpost_stan_model_free(fp_model* m) {
  if (m != nullptr) {
    delete m->model;
    delete m;
  }
}

FP_API size_t flowpost_stan_num_unconstrained(const fp_model* m) { return m->num_unconstrained; }

// Model name and stanc's compile information, one item a line.
FP_API char* flowpost_stan_model_info(const fp_model* m) {
  std::vector<std::string> lines{m->model->model_name()};
  for (const auto& s : m->model->model_compile_info()) {
    lines.push_back(s);
  }
  return copy_string(join_lines(lines));
}

// Stan's own names, one a line: the unconstrained coordinates (`constrained` = 0) or the
// constrained values (`constrained` = 1, optionally with transformed parameters and generated
// quantities), e.g. `theta.1`, `Sigma.2.3`.
FP_API char* flowpost_stan_param_names(const fp_model* m, int constrained, int tparams,
                                       int gqs) {
  std::vector<std::string> names;
  if (constrained) {
    m->model->constrained_param_names(names, tparams != 0, gqs != 0);
  } else {
    m->model->unconstrained_param_names(names, false, false);
  }
  return copy_string(join_lines(names));
}

// log p(theta) on the unconstrained space and its gradient. `propto` drops constants,
// `jacobian` adds the log-Jacobian of the constraining transform.
FP_API int flowpost_stan_log_density_gradient(const fp_model* m, int propto, int jacobian,
                                              const double* theta, double* lp, double* grad,
                                              char** err) {
  thread_local Eigen::VectorXd params;
  thread_local Eigen::VectorXd gradient;
  thread_local std::ostringstream printed;
  if (printed.tellp() > 0) {
    printed.str("");
  }
  const size_t n = m->num_unconstrained;
  return guarded(err, printed, [&] {
    ensure_thread_tape();
    params = Eigen::Map<const Eigen::VectorXd>(theta, n);
    const auto& model = *m->model;
    double value;
    if (propto && jacobian) {
      value = stan::model::log_prob_grad<true, true>(model, params, gradient, &printed);
    } else if (propto) {
      value = stan::model::log_prob_grad<true, false>(model, params, gradient, &printed);
    } else if (jacobian) {
      value = stan::model::log_prob_grad<false, true>(model, params, gradient, &printed);
    } else {
      value = stan::model::log_prob_grad<false, false>(model, params, gradient, &printed);
    }
    *lp = value;
    Eigen::Map<Eigen::VectorXd>(grad, n) = gradient;
  });
}

// Constrained values of the unconstrained point `theta` (write_array) into `out`, whose length
// is the number of constrained names for the same flags. `seed` seeds the RNG that generated
// quantities may use. On an error `out` holds what Stan computed before it and NaN after, as
// CmdStan writes it.
FP_API int flowpost_stan_constrain(const fp_model* m, const double* theta, int tparams, int gqs,
                                   uint64_t seed, double* out, size_t out_len, char** err) {
  std::ostringstream printed;
  Eigen::VectorXd values;
  const int status = guarded(err, printed, [&] {
    ensure_thread_tape();
    Eigen::VectorXd params = Eigen::Map<const Eigen::VectorXd>(theta, m->num_unconstrained);
    stan::rng_t rng(seed);
    m->model->write_array(rng, params, values, tparams != 0, gqs != 0, &printed);
    if (static_cast<size_t>(values.size()) != out_len) {
      throw std::invalid_argument("write_array produced " + std::to_string(values.size())
                                  + " values where " + std::to_string(out_len)
                                  + " were expected");
    }
  });
  Eigen::Map<Eigen::VectorXd> dest(out, out_len);
  if (static_cast<size_t>(values.size()) == out_len) {
    dest = values;
  } else {
    dest.setConstant(std::numeric_limits<double>::quiet_NaN());
  }
  return status;
}

// The unconstrained point of the constrained parameter values `values` (the parameters block
// only, in constrained_param_names order).
FP_API int flowpost_stan_unconstrain(const fp_model* m, const double* values, size_t len,
                                     double* theta, char** err) {
  std::ostringstream printed;
  return guarded(err, printed, [&] {
    ensure_thread_tape();
    Eigen::VectorXd constrained = Eigen::Map<const Eigen::VectorXd>(values, len);
    Eigen::VectorXd params;
    m->model->unconstrain_array(constrained, params, &printed);
    Eigen::Map<Eigen::VectorXd>(theta, m->num_unconstrained) = params;
  });
}

// The unconstrained point of parameter values given by name as Stan JSON (transform_inits).
FP_API int flowpost_stan_unconstrain_json(const fp_model* m, const char* json, size_t len,
                                          double* theta, char** err) {
  std::ostringstream printed;
  return guarded(err, printed, [&] {
    ensure_thread_tape();
    std::istringstream in(std::string(json, len));
    stan::json::json_data context(in);
    Eigen::VectorXd params;
    m->model->transform_inits(context, params, &printed);
    Eigen::Map<Eigen::VectorXd>(theta, m->num_unconstrained) = params;
  });
}
