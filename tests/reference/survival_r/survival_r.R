# Independent R (survival) numbers for the weighted / clustered survival estimators.
# Data: small.csv (written by make_small.py). Run from the repository root:
#   Rscript tests/reference/survival_r/survival_r.R > tests/reference/survival_r/survival_r.Rout 2>&1
# Writes the *_R.csv files the pytest suite reads; pytest never calls R.
suppressMessages(library(survival))
here <- "tests/reference/survival_r"
d <- read.csv(file.path(here, "small.csv"))
cat(R.version.string, "; survival", as.character(packageVersion("survival")), "\n")
options(digits = 10, width = 150)
tidy_km <- function(fit, label) {
  s <- summary(fit, censored = TRUE)
  data.frame(variant = label, group = sub("treated=", "", as.character(s$strata)), time = s$time,
             n_risk = s$n.risk, n_event = s$n.event, surv = s$surv, std_err = s$std.err,
             lower = s$lower, upper = s$upper)
}
# 1. Kaplan-Meier by group: unweighted Greenwood; weighted robust (IJ) per person; weighted
#    robust clustered on matched set. Log-log intervals (R's default is "log").
f0 <- survfit(Surv(time, event) ~ treated, data = d, conf.type = "log-log")
f1 <- survfit(Surv(time, event) ~ treated, data = d, weights = weight, id = id, robust = TRUE,
              conf.type = "log-log")
f2 <- survfit(Surv(time, event) ~ treated, data = d, weights = weight, cluster = match_set,
              robust = TRUE, conf.type = "log-log")
f3 <- survfit(Surv(time, event) ~ treated, data = d, cluster = match_set, robust = TRUE,
              conf.type = "log-log")
km <- rbind(tidy_km(f0, "unweighted_greenwood"), tidy_km(f1, "weighted_robust_id"),
            tidy_km(f2, "weighted_robust_cluster"), tidy_km(f3, "unweighted_robust_cluster"))
write.csv(km, file.path(here, "km_R.csv"), row.names = FALSE)
print(summary(f1, censored = TRUE))

# 2. RMST at tau = 365 per group. Unweighted: print.survfit rmean (Greenwood-type SE, as
#    survRM2). Weighted/clustered: integrate R's own influence (IJ) values of the KM curve.
tau <- 365
r0 <- summary(f0, rmean = tau)$table[, c("rmean", "se(rmean)")]
print(r0)
rmst_if <- function(time, event, w, cl) {
  f <- survfit(Surv(time, event) ~ 1, weights = w, cluster = cl, influence = TRUE, robust = TRUE)
  tt <- f$time; keep <- tt < tau
  edges <- c(0, tt[keep], tau)
  surv <- c(1, f$surv[keep])
  rmst <- sum(surv * diff(edges))
  infl <- f$influence.surv  # rows = clusters, columns = f$time
  # check our reading of the scaling: influence.surv is d S(t) / d w_i already times w_i (summed
  # within cluster), so summary()'s std.err of S(t) is sqrt(colSums(infl^2)).
  stopifnot(isTRUE(all.equal(sqrt(colSums(infl^2)), summary(f, censored = TRUE)$std.err)))
  ifr <- cbind(0, infl[, keep, drop = FALSE]) %*% diff(edges)
  list(rmst = rmst, if_ = ifr[, 1], clusters = rownames(infl))
}
rm_rows <- list(); ifs <- list()
for (g in c(0, 1)) {
  s <- d[d$treated == g, ]
  a <- rmst_if(s$time, s$event, s$weight, s$id)
  b <- rmst_if(s$time, s$event, s$weight, s$match_set)
  rm_rows[[length(rm_rows) + 1]] <- data.frame(
    group = g, rmst_unweighted = unname(r0[paste0("treated=", g), "rmean"]),
    se_unweighted = unname(r0[paste0("treated=", g), "se(rmean)"]),
    rmst_weighted = a$rmst, se_weighted_id = sqrt(sum(a$if_^2)), se_weighted_cluster = sqrt(sum(b$if_^2)))
  ifs[[as.character(g)]] <- b
}
rm <- do.call(rbind, rm_rows)
# difference (treated - control) clustered on matched set: the sets span both groups, so the two
# groups' influence values are summed within set before squaring.
i1 <- tapply(ifs[["1"]]$if_, ifs[["1"]]$clusters, sum)
i0 <- tapply(ifs[["0"]]$if_, ifs[["0"]]$clusters, sum)
sets <- union(names(i1), names(i0))
dd <- ifelse(is.na(i1[sets]), 0, i1[sets]) - ifelse(is.na(i0[sets]), 0, i0[sets])
rm$se_difference_weighted_cluster <- sqrt(sum(dd^2))
print(rm)
write.csv(rm, file.path(here, "rmst_R.csv"), row.names = FALSE)

# 3. Cox: weighted + clustered robust SE, unweighted clustered, and the robust score test.
c1 <- coxph(Surv(time, event) ~ treated, data = d, weights = weight, cluster = match_set)
c2 <- coxph(Surv(time, event) ~ treated + x, data = d, cluster = match_set)
c3 <- coxph(Surv(time, event) ~ treated, data = d)
print(summary(c1)); print(summary(c2)); print(summary(c3))
cx <- data.frame(model = c("weighted_cluster", "cluster_adjusted", "cluster_adjusted", "unweighted"),
                 term = c("treated", "treated", "x", "treated"),
                 coef = c(coef(c1), coef(c2), coef(c3)),
                 se = c(sqrt(diag(c1$var)), sqrt(diag(c2$var)), sqrt(diag(c3$var))))
write.csv(cx, file.path(here, "cox_R.csv"), row.names = FALSE)
lr <- survdiff(Surv(time, event) ~ treated, data = d)
print(lr)
tests <- data.frame(test = c("logrank_unweighted", "robust_score_weighted_cluster", "robust_wald_weighted_cluster"),
                    chisq = c(lr$chisq, c1$rscore, unname((coef(c1) / sqrt(c1$var))^2)), df = 1)
write.csv(tests, file.path(here, "tests_R.csv"), row.names = FALSE)
