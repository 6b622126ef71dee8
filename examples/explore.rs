use flowpost::*;
struct Funnel(usize);
impl LogDensity for Funnel {
    fn dim(&self) -> usize {
        self.0
    }
    fn log_density(&self, x: &[f64], g: &mut [f64]) -> Result<f64, DensityError> {
        let v = x[0];
        let mut lp = -v * v / 18.0;
        g[0] = -v / 9.0;
        let ev = (-v).exp();
        for i in 1..self.0 {
            lp += -0.5 * x[i] * x[i] * ev - 0.5 * v;
            g[i] = -x[i] * ev;
            g[0] += 0.5 * x[i] * x[i] * ev - 0.5;
        }
        Ok(lp)
    }
    fn param_names(&self) -> Vec<String> {
        std::iter::once("v".to_string())
            .chain((1..self.0).map(|i| format!("x[{i}]")))
            .collect()
    }
}
fn main() {
    let method = std::env::args().nth(1).unwrap_or("neutra".into());
    let mut s = SampleSettings::default();
    s.method = if method == "nuts" {
        Method::Nuts
    } else {
        Method::NeuTra
    };
    s.seed = std::env::args()
        .nth(2)
        .map(|x| x.parse().unwrap())
        .unwrap_or(1);
    let env = |k: &str| std::env::var(k).ok();
    if let Some(v) = env("STL") {
        if v == "1" {
            s.vi.estimator = flowpost::vi::GradientEstimator::StickingTheLanding;
        }
        if v == "0" {
            s.vi.estimator = flowpost::vi::GradientEstimator::Reparameterized;
        }
    }
    if let Some(v) = env("STEPS") {
        s.vi.max_steps = v.parse().unwrap();
    }
    if let Some(v) = env("BATCH") {
        s.vi.batch_size = v.parse().unwrap();
    }
    if let Some(v) = env("LR") {
        s.vi.adam.learning_rate = v.parse().unwrap();
    }
    if let Some(v) = env("PATIENCE") {
        s.vi.patience = v.parse().unwrap();
    }
    if let Some(v) = env("LAYERS") {
        s.flow.num_iaf_layers = v.parse().unwrap();
    }
    if let Some(v) = env("HIDDEN") {
        s.flow.hidden = Some(vec![v.parse().unwrap(); 2]);
    }
    if let Some(v) = env("ACCEPT") {
        s.target_accept = Some(v.parse().unwrap());
    }
    if let Some(v) = env("CLAMP") {
        s.flow.max_log_scale = v.parse().unwrap();
    }
    if let Some(v) = env("ACT") {
        s.flow.activation = match v.as_str() {
            "tanh" => flowpost::bijection::Activation::Tanh,
            "relu" => flowpost::bijection::Activation::Relu,
            _ => flowpost::bijection::Activation::Elu,
        };
    }
    let t = std::time::Instant::now();
    let model_name = std::env::var("MODEL").unwrap_or("funnel".into());
    let model = flowpost_models::load(&model_name, &Default::default()).unwrap();
    let run = sample(&*model, &s).unwrap();
    println!("time {:?}", t.elapsed());
    if let Some(vi) = &run.vi {
        println!(
            "vi steps {} elbo {:.3}±{:.3} k {:.3} stop {:?} dropped {} init {:?}",
            vi.num_steps,
            vi.elbo,
            vi.elbo_mcse,
            vi.pareto_k,
            vi.stop_reason,
            vi.num_dropped,
            vi.init
                .as_ref()
                .map(|i| (i.elbo, i.chosen, i.path_len, i.candidate_elbos.clone()))
        );
    }
    println!("cost {:?}", run.cost);
    println!(
        "div {} warmup div {}",
        run.draws.num_divergent(),
        run.num_warmup_divergent()
    );
    let mut dv: Vec<f64> = Vec::new();
    for c in &run.draws.chains {
        for (i, st) in c.stats.iter().enumerate() {
            if st.divergent {
                dv.push(c.values[i * run.draws.num_params()]);
            }
        }
    }
    dv.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "divergent v: {:?}",
        dv.iter()
            .map(|x| (x * 10.0).round() / 10.0)
            .collect::<Vec<_>>()
    );
    if let Some(flow) = &run.flow {
        let d = model.dim();
        let mut rng = flowpost::rng::seeded(77, 1);
        let mut tape = flow.new_tape();
        let (mut z, mut th, mut g) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
        let mut lw = vec![];
        for _ in 0..100000 {
            let lq = flow.sample(&mut rng, &mut z, &mut th, &mut tape);
            if let Ok(lp) = model.log_density(&th, &mut g) {
                lw.push(lp - lq);
            }
        }
        let m = lw.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lz = m + (lw.iter().map(|x| (x - m).exp()).sum::<f64>() / lw.len() as f64).ln();
        let elbo = lw.iter().sum::<f64>() / lw.len() as f64;
        let k = flowpost::diagnostics::psis(&lw).k_hat;
        println!(
            "IS: log Z {lz:.4} ELBO {elbo:.4} KL~{:.4} k(100k)={k:.3}",
            lz - elbo
        );
    }
    let summ0 = flowpost::diagnostics::summarize(&run.draws);
    for p in summ0.iter() {
        println!(
            "{:>10} mean {:8.3} sd {:8.3} ess {:6.0} rhat {:.3}",
            p.name, p.mean, p.sd, p.ess_bulk, p.r_hat
        );
    }
    let mut dv: Vec<(f64, f64)> = Vec::new();
    for c in &run.draws.chains {
        for (i, st) in c.stats.iter().enumerate() {
            if st.divergent {
                let p = run.draws.num_params();
                dv.push((c.values[i * p], c.values[i * p + 1]));
            }
        }
    }
    println!(
        "divergent (p0, p1): {:?}",
        dv.iter()
            .map(|(a, b)| ((a * 10.0).round() / 10.0, (b * 10.0).round() / 10.0))
            .collect::<Vec<_>>()
    );
    if let Some(flow) = &run.flow {
        let d = model.dim();
        let mut tape = flow.new_tape();
        let lz: f64 = std::env::var("LOGZ")
            .ok()
            .map(|v| v.parse().unwrap())
            .unwrap_or(0.0);
        for r in [1.0, 2.0, 3.0, 4.0, 5.0, 6.0] {
            let mut line = format!("r={r}:");
            for k in 0..16 {
                let a = k as f64 / 16.0 * 2.0 * std::f64::consts::PI;
                let mut z = vec![0.0; d];
                z[0] = r * a.cos();
                if d > 1 {
                    z[1] = r * a.sin();
                }
                let mut th = vec![0.0; d];
                let ld = flow.forward(&z, &mut th, &mut tape);
                let mut g = vec![0.0; d];
                let lw = model
                    .log_density(&th, &mut g)
                    .map(|lp| {
                        lp + ld + r * r / 2.0 + 0.5 * d as f64 * (2.0 * std::f64::consts::PI).ln()
                            - lz
                    })
                    .unwrap_or(f64::NAN);
                line += &format!(" {lw:.1}");
            }
            println!("{line}");
        }
    }
    if model_name != "funnel" {
        return;
    }
    if let Some(flow) = &run.flow {
        use rand::RngExt;
        let mut rng = flowpost::rng::seeded(5, 5);
        let d = 10;
        let mut tape = flow.new_tape();
        for r in [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0] {
            let mut devs = vec![];
            for _ in 0..200 {
                let mut u = vec![0.0; d];
                flowpost::rng::fill_standard_normal(&mut rng, &mut u);
                let n = u.iter().map(|x| x * x).sum::<f64>().sqrt();
                let z: Vec<f64> = u.iter().map(|x| x / n * r).collect();
                let mut th = vec![0.0; d];
                let ld = flow.forward(&z, &mut th, &mut tape);
                let mut g = vec![0.0; d];
                let lp = Funnel(10).log_density(&th, &mut g).unwrap();
                devs.push(
                    lp + ld + r * r / 2.0 - 10.288 + 0.5 * 10.0 * (2.0 * std::f64::consts::PI).ln(),
                );
            }
            devs.sort_by(|a, b| a.partial_cmp(b).unwrap());
            let _ = rng.random::<f64>();
            let _ = 0;
            println!(
                "r={r}: log w quantiles 1% {:.2} 50% {:.2} 99% {:.2}",
                devs[2], devs[100], devs[197]
            );
        }
    }
    if let Some(flow) = &run.flow {
        let d = 10;
        let mut tape = flow.new_tape();
        for z0 in [-6.0, -5.0, -4.0, -3.0, -2.0, 0.0, 2.0, 3.0, 4.0, 5.0, 6.0] {
            let mut line = format!("z0={z0}: ");
            for rx in [0.0, 1.0, 3.0, 5.0] {
                let mut z = vec![rx / 3.0; d];
                z[0] = z0;
                let mut th = vec![0.0; d];
                let ld = flow.forward(&z, &mut th, &mut tape);
                let mut g = vec![0.0; d];
                let lp = Funnel(10).log_density(&th, &mut g).unwrap();
                let r2: f64 = z.iter().map(|x| x * x).sum();
                line += &format!(
                    " rx={rx} v={:.2} logw={:.2} |",
                    th[0],
                    lp + ld + r2 / 2.0 - 10.288 + 0.5 * 10.0 * (2.0 * std::f64::consts::PI).ln()
                );
            }
            println!("{line}");
        }
    }
    let summ = flowpost::diagnostics::summarize(&run.draws);
    for p in summ.iter() {
        println!(
            "{:>10} mean {:8.3} sd {:8.3} ess {:6.0} rhat {:.3}",
            p.name, p.mean, p.sd, p.ess_bulk, p.r_hat
        );
    }
    {
        let v: Vec<f64> = run.draws.param(0).into_iter().flatten().collect();
        let n = v.len() as f64;
        for t in [-7.5, -6.0, -4.5, 4.5, 6.0, 7.5] {
            let frac = if t < 0.0 {
                v.iter().filter(|x| **x < t).count()
            } else {
                v.iter().filter(|x| **x > t).count()
            } as f64
                / n;
            print!(" P(|v|>{t})={frac:.4}");
        }
        println!("  (normal: 0.0062 0.0228 0.0668)");
    }
    let summ = flowpost::diagnostics::summarize(&run.draws);
    for p in summ.iter().take(3) {
        println!("{:?}", p);
    }
    let min_ess = summ
        .iter()
        .map(|p| p.ess_bulk)
        .fold(f64::INFINITY, f64::min);
    let max_rhat = summ.iter().map(|p| p.r_hat).fold(0.0, f64::max);
    println!("min ess bulk {min_ess:.0} max rhat {max_rhat:.4}");
}
