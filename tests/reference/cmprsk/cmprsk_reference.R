# Independent R numbers for evaluation.estimators.competing_risks.
# Data: cmprsk_small.csv (written by make_cmprsk_data.py). Run from the repository root:
#   Rscript tests/reference/cmprsk/cmprsk_reference.R > tests/reference/cmprsk/cmprsk_reference.Rout 2>&1
# Writes the *_R.csv files the pytest suite reads; pytest never calls R.
suppressMessages(library(cmprsk))
suppressMessages(library(survival))
here <- "tests/reference/cmprsk"
d <- read.csv(file.path(here, "cmprsk_small.csv"))
cat(R.version.string, "; cmprsk", as.character(packageVersion("cmprsk")),
    "; survival", as.character(packageVersion("survival")), "\n")
options(digits = 12, width = 150)

# 1. cuminc (Aalen-Johansen CIF and Gray's variance) by group, both causes.
ci <- cuminc(d$time, d$status, group = d$treated, cencode = 0)
print(ci)
times <- c(30, 60, 100, 180, 365, 540, 700, 720)
tp <- timepoints(ci, times)
est <- tp$est; vv <- tp$var
rows <- list()
for (nm in rownames(est)) {
  parts <- strsplit(nm, " ")[[1]]
  rows[[nm]] <- data.frame(treated = as.integer(parts[1]), cause = as.integer(parts[2]),
                           time = times, cif = as.numeric(est[nm, ]),
                           var = as.numeric(vv[nm, ]))
}
write.csv(do.call(rbind, rows), file.path(here, "cuminc_timepoints_R.csv"), row.names = FALSE)
# Full step functions (every corner cuminc returns).
curves <- list()
for (nm in names(ci)[names(ci) != "Tests"]) {
  parts <- strsplit(nm, " ")[[1]]
  curves[[nm]] <- data.frame(treated = as.integer(parts[1]), cause = as.integer(parts[2]),
                             time = ci[[nm]]$time, cif = ci[[nm]]$est, var = ci[[nm]]$var)
}
write.csv(do.call(rbind, curves), file.path(here, "cuminc_curves_R.csv"), row.names = FALSE)

# 2. Fine-Gray (crr): reoffence (1) with death (2) competing; converged tightly (gtol 1e-12),
#    and at cmprsk's defaults (gtol 1e-6, maxiter 10) to show the difference that makes.
fit_one <- function(cov, label, ...) {
  f <- crr(d$time, d$status, cov1 = cov, failcode = 1, cencode = 0, ...)
  print(summary(f))
  data.frame(model = label, term = names(f$coef), coef = as.numeric(f$coef),
             se = sqrt(diag(f$var)), converged = f$converge, loglik = f$loglik)
}
fg <- rbind(
  fit_one(cbind(treated = d$treated), "treated", gtol = 1e-12, maxiter = 100),
  fit_one(cbind(treated = d$treated, age = d$age), "treated+age", gtol = 1e-12, maxiter = 100),
  fit_one(cbind(treated = d$treated, age = d$age), "treated+age_defaults"),
  fit_one(cbind(treated = d$treated), "treated_cause2", gtol = 1e-12, maxiter = 100)
)
# the cause-2 fit: swap roles (death of interest, reoffence competing)
f2 <- crr(d$time, d$status, cov1 = cbind(treated = d$treated), failcode = 2, cencode = 0,
          gtol = 1e-12, maxiter = 100)
fg[fg$model == "treated_cause2", c("coef", "se", "loglik")] <-
  cbind(f2$coef, sqrt(diag(f2$var)), f2$loglik)
write.csv(fg, file.path(here, "crr_R.csv"), row.names = FALSE)
print(fg, digits = 12)

# 3. Weighted Aalen-Johansen: survival::survfit multi-state with case weights and id
#    (infinitesimal-jackknife standard errors); unweighted as a second route to the CIF.
d$state <- factor(d$status, 0:2, c("censor", "reoffence", "death"))
mk <- function(fit, label) {
  s <- summary(fit, times = times, extend = TRUE)
  out <- list()
  for (k in seq_along(fit$strata)) {
    sel <- as.integer(s$strata) == k
    out[[k]] <- data.frame(variant = label, treated = as.integer(sub("treated=", "", names(fit$strata)[k])),
                           time = s$time[sel], cif_reoffence = s$pstate[sel, 2],
                           se_reoffence = s$std.err[sel, 2], cif_death = s$pstate[sel, 3],
                           se_death = s$std.err[sel, 3])
  }
  do.call(rbind, out)
}
sw <- survfit(Surv(time, state) ~ treated, data = d, weights = weight, id = id)
su <- survfit(Surv(time, state) ~ treated, data = d, id = id)
aj <- rbind(mk(sw, "weighted_ij"), mk(su, "unweighted_ij"))
write.csv(aj, file.path(here, "survfit_aj_R.csv"), row.names = FALSE)
print(aj, digits = 12)

# 4. Programme minus comparison CIF of a reoffence, weighted, with its IJ SE from survfit's own
#    influence arrays (influence = TRUE; the SE is sqrt(sum((w_i * influence_i)^2)) as survfit's
#    std.err), summed per person (id) or per matched set before squaring. The matched sets pair
#    programme id k with comparison id k + 45 (defined here; not a column of the CSV).
d$match_set <- ((d$id - 1) %% 45) + 1
sc <- survfit(Surv(time, state) ~ treated, data = d, weights = weight, id = id, influence = TRUE)
ends <- cumsum(sc$strata); starts <- c(1, head(ends, -1) + 1)
diff_rows <- list()
for (cl in c("id", "match_set")) {
  for (tt in times) {
    u <- setNames(rep(0, nrow(d)), d$id)
    est <- 0
    for (k in 1:2) {
      sgn <- if (names(sc$strata)[k] == "treated=1") 1 else -1
      st_times <- sc$time[starts[k]:ends[k]]
      j <- sum(st_times <= tt)                    # 0 = before the first time
      f <- if (j == 0) 0 else sc$pstate[starts[k] + j - 1, 2]
      est <- est + sgn * f
      infl <- sc$influence.pstate[[k]]
      ids <- as.integer(dimnames(infl)[[1]])
      u[as.character(ids)] <- sgn * d$weight[match(ids, d$id)] * infl[, j + 1, 2]
    }
    by <- if (cl == "id") d$id else d$match_set
    se <- sqrt(sum(tapply(u[as.character(d$id)], by, sum)^2))
    diff_rows[[length(diff_rows) + 1]] <- data.frame(cluster = cl, time = tt, diff = est, se = se)
  }
}
dd <- do.call(rbind, diff_rows)
write.csv(dd, file.path(here, "survfit_aj_difference_R.csv"), row.names = FALSE)
print(dd, digits = 12)

# 5. Gray's K-sample test (cuminc "Tests") by treated (rho 0 and 1) and across three age bands
#    (the bands are defined here, as cut() does: (-Inf, -0.5], (-0.5, 0.5], (0.5, Inf)).
d$age_band <- cut(d$age, c(-Inf, -0.5, 0.5, Inf), labels = FALSE)
gt <- function(group, rho, label) {
  tt <- cuminc(d$time, d$status, group = group, rho = rho, cencode = 0)$Tests
  data.frame(comparison = label, rho = rho, cause = as.integer(rownames(tt)),
             stat = tt[, "stat"], p = tt[, "pv"], df = tt[, "df"])
}
tests <- rbind(gt(d$treated, 0, "treated"), gt(d$treated, 1, "treated"),
               gt(d$age_band, 0, "age_band"))
write.csv(tests, file.path(here, "cuminc_tests_R.csv"), row.names = FALSE)
print(tests, digits = 12)
